namespace SafetyNotebooks.Decoding;

/// <summary>One finished continuation: its new tokens, its score as Hugging Face ranks beams (the sum of token
/// log-probs divided by <c>length^length_penalty</c>) and the plain sum of token log-probs.</summary>
public sealed record Hypothesis(IReadOnlyList<int> Tokens, double Score, double LogProb);

/// <summary>What it cost: forward passes and the token rows they processed (prefill included).</summary>
public sealed record DecodingCost(int ForwardPasses, long TokenRows)
{
    public static DecodingCost Zero { get; } = new(0, 0);
    public DecodingCost Add(long rows, long tokens) => new(ForwardPasses + 1, TokenRows + rows * tokens);
}

/// <summary>
/// The result for one prompt. <see cref="Tokens"/> and <see cref="Score"/> are the best hypothesis's;
/// <see cref="Beams"/> are the returned hypotheses, best first. <see cref="ShortCircuited"/> is true when Safe Beam
/// Search in short-circuit mode ended the best beam on the harmfulness tag.
/// </summary>
public sealed record GenerationResult(IReadOnlyList<Hypothesis> Beams, bool ShortCircuited, DecodingCost Cost)
{
    public IReadOnlyList<int> Tokens => Beams[0].Tokens;
    public double Score => Beams[0].Score;
    public double LogProb => Beams[0].LogProb;
}

/// <summary>
/// When a continuation ends: after <see cref="MaxNewTokens"/>, on any of <see cref="EosTokenIds"/>, or when the decoded
/// text of the new tokens completes one of <see cref="StopStrings"/>.
/// </summary>
public sealed record Stopping(int MaxNewTokens, IReadOnlyList<int> EosTokenIds, StopStrings? StopStrings = null)
{
    public static Stopping After(int maxNewTokens, params int[] eosTokenIds) => new(maxNewTokens, eosTokenIds);

    /// <summary>Does the last of <paramref name="newTokens"/> end the continuation (EOS or a completed stop string)?</summary>
    public bool Hits(IReadOnlyList<int> newTokens) =>
        newTokens.Count > 0 && (EosTokenIds.Contains(newTokens[^1]) || (StopStrings?.CompletedBy(newTokens) ?? false));

    internal void Validate(long vocabSize)
    {
        if (MaxNewTokens < 1) throw new BadInputException("must be at least 1", "decoding options", "max_new_tokens", MaxNewTokens.ToString());
        foreach (var id in EosTokenIds)
            if (id < 0 || id >= vocabSize)
                throw new BadInputException($"not in the vocabulary (size {vocabSize})", "decoding options", "eos_token_id", id.ToString());
    }
}

internal static class Prompts
{
    public static void Validate(IReadOnlyList<IReadOnlyList<int>> prompts, long vocabSize)
    {
        if (prompts.Count == 0) throw new BadInputException("no prompts", "decoding input", "prompts");
        for (var p = 0; p < prompts.Count; p++)
        {
            if (prompts[p].Count == 0) throw new BadInputException("empty prompt", "decoding input", $"prompts[{p}]");
            foreach (var id in prompts[p])
                if (id < 0 || id >= vocabSize)
                    throw new BadInputException($"token id not in the vocabulary (size {vocabSize})", "decoding input", $"prompts[{p}]", id.ToString());
        }
    }
}
