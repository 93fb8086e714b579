using System.Globalization;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Evaluation;

/// <summary>Attack generators over a local model folder (what <c>safetynb eval attack --model</c> and the paper profile use).</summary>
public static class LocalGeneration
{
    /// <summary>The decoding strategy by name: greedy, sample (seeded), beam, safe-beam (tag from <paramref name="tagId"/> or the tokenizer).</summary>
    public static DecodingStrategy Strategy(string name, long seed, int? tagId, LocalModel local, int beams = 4, int? candidates = null)
    {
        CheckSettings(name, tagId);
        return name switch
        {
            "greedy" => new GreedyDecoding(),
            "sample" => new SampledDecoding(seed),
            "beam" => new BeamDecoding(beams),
            _ => new SafeBeamDecoding(TagId(tagId, local.Tokenizer!, local.Model.VocabSize, local.Name), beams, candidates ?? 2 * beams),
        };
    }

    /// <summary>Checks a strategy name, a tag id given with it, and the token budget, before anything is loaded.</summary>
    public static void CheckSettings(string strategy, int? tagId, int maxNewTokens = 1)
    {
        if (strategy is not ("greedy" or "sample" or "beam" or "safe-beam")) throw new BadInputException("expected greedy, sample, beam or safe-beam", "--strategy", value: strategy);
        if (tagId is not null && strategy != "safe-beam") throw new BadInputException("only applies to --strategy safe-beam", "--tag-id", value: strategy);
        CheckMaxNewTokens(maxNewTokens);
    }

    static void CheckMaxNewTokens(int maxNewTokens)
    {
        if (maxNewTokens < 1) throw new BadInputException("must be at least 1", "--max-new-tokens", value: maxNewTokens.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The harmfulness tag's id: <paramref name="given"/> when set, else the tokenizer's &lt;potentially_unsafe_content&gt; token.</summary>
    public static int TagId(int? given, ITextTokenizer tokenizer, long vocab, string model)
    {
        if (given is { } id)
            return id >= 0 && id < vocab ? id : throw new BadInputException($"not in the vocabulary (size {vocab})", "--tag-id", value: id.ToString(CultureInfo.InvariantCulture));
        return tokenizer.TokenToId(ByteLevelTokenizer.HarmfulnessTag)
            ?? throw new BadInputException($"the tokenizer of {model} has no {ByteLevelTokenizer.HarmfulnessTag} token; pass --tag-id ID", "--tag-id");
    }

    /// <summary>
    /// A generator: the prompt is encoded as Hugging Face generate would (special tokens added), decoded with
    /// <paramref name="decoding"/> until EOS or <paramref name="maxNewTokens"/>, and returned as text (special tokens
    /// removed; ids past the tokenizer's vocabulary are dropped). Sampling uses the same seed for every prompt, so a generation depends neither on the prompt's position
    /// nor on resuming. Calls are serialised: they share one model.
    /// </summary>
    public static TextGenerator Generator(LocalModel local, DecodingStrategy decoding, int maxNewTokens)
    {
        CheckMaxNewTokens(maxNewTokens);
        var tokenizer = local.Tokenizer ?? throw new BadInputException("the model folder has no tokenizer.json", "--model", value: local.Name);
        var stopping = new Stopping(maxNewTokens, local.EosTokenIds);
        var gate = new SemaphoreSlim(1, 1);
        return async (prompt, cancel) =>
        {
            var ids = tokenizer.Encode(prompt, addSpecialTokens: true);
            if (ids.Count == 0) throw new BadInputException("the prompt has no tokens", "--prompts", value: prompt);
            local.CheckLength(ids.Count, maxNewTokens);
            await gate.WaitAsync(cancel);
            try
            {
                var result = await Task.Run(() => decoding.Run(local.Model, ids, stopping), cancel);
                // a checkpoint's embedding may be padded past its tokenizer; like Hugging Face's decode, such ids decode to nothing
                return tokenizer.Decode(result.Tokens.Where(t => !stopping.EosTokenIds.Contains(t) && t < tokenizer.VocabSize), skipSpecialTokens: true);
            }
            finally { gate.Release(); }
        };
    }

    /// <summary>A one-line description of a generator for settings files.</summary>
    public static string Describe(LocalModel local, DecodingStrategy decoding, string strategy, int maxNewTokens) =>
        $"{strategy} decoding of {local.Name} ({maxNewTokens} new tokens at most{(decoding is SafeBeamDecoding s ? $", tag id {s.TagTokenId}" : "")})";
}
