using SafetyNotebooks.Modeling;

namespace SafetyNotebooks.Decoding;

/// <summary>How to decode, independent of when to stop: one of the four strategies and its settings.</summary>
public abstract record DecodingStrategy
{
    private protected DecodingStrategy() { }

    public abstract IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, Stopping stopping);

    public GenerationResult Run(ICausalLanguageModel model, IReadOnlyList<int> prompt, Stopping stopping) => Run(model, [prompt], stopping)[0];
}

public sealed record GreedyDecoding : DecodingStrategy
{
    public override IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, Stopping stopping) =>
        Greedy.Run(model, prompts, new GreedyOptions(stopping));
}

public sealed record SampledDecoding(long Seed = DecodingDefaults.Seed, double Temperature = DecodingDefaults.Temperature, int TopK = DecodingDefaults.TopK, double TopP = DecodingDefaults.TopP) : DecodingStrategy
{
    public override IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, Stopping stopping) =>
        Sampling.Run(model, prompts, new SamplingOptions(stopping, Seed, Temperature, TopK, TopP));
}

public sealed record BeamDecoding(int Beams = DecodingDefaults.Beams, double LengthPenalty = DecodingDefaults.BeamLengthPenalty, bool EarlyStopping = false, int? NumReturnSequences = null) : DecodingStrategy
{
    public override IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, Stopping stopping) =>
        BeamSearch.Run(model, prompts, new BeamSearchOptions(stopping, Beams, LengthPenalty, EarlyStopping, NumReturnSequences));
}

public sealed record SafeBeamDecoding(
    int TagTokenId, int Beams = DecodingDefaults.Beams, int? Candidates = null, double Discard = DecodingDefaults.Discard, double LengthPenalty = DecodingDefaults.SafeBeamLengthPenalty,
    bool ShortCircuit = false, bool EarlyStopping = false, int? NumReturnSequences = null) : DecodingStrategy
{
    public SafeBeamOptions Options(Stopping stopping) =>
        new(stopping, TagTokenId, Beams, Candidates, Discard, LengthPenalty, EarlyStopping, ShortCircuit, NumReturnSequences);

    public override IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, Stopping stopping) =>
        SafeBeamSearch.Run(model, prompts, Options(stopping));
}
