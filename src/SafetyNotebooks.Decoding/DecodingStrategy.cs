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

public sealed record SampledDecoding(long Seed, double Temperature = 1.0, int TopK = 50, double TopP = 1.0) : DecodingStrategy
{
    public override IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, Stopping stopping) =>
        Sampling.Run(model, prompts, new SamplingOptions(stopping, Seed, Temperature, TopK, TopP));
}

public sealed record BeamDecoding(int Beams = 4, double LengthPenalty = 1.0, bool EarlyStopping = false, int? NumReturnSequences = null) : DecodingStrategy
{
    public override IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, Stopping stopping) =>
        BeamSearch.Run(model, prompts, new BeamSearchOptions(stopping, Beams, LengthPenalty, EarlyStopping, NumReturnSequences));
}

public sealed record SafeBeamDecoding(
    int TagTokenId, int Beams = 4, int? Candidates = null, double Discard = 0.5, double LengthPenalty = 0.0,
    bool ShortCircuit = false, bool EarlyStopping = false, int? NumReturnSequences = null) : DecodingStrategy
{
    public SafeBeamOptions Options(Stopping stopping) =>
        new(stopping, TagTokenId, Beams, Candidates, Discard, LengthPenalty, EarlyStopping, ShortCircuit, NumReturnSequences);

    public override IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, Stopping stopping) =>
        SafeBeamSearch.Run(model, prompts, Options(stopping));
}
