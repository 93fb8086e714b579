namespace SafetyNotebooks.Launch;

/// <summary>
/// The transformer shape of a LitGPT model config (the fields of LitGPT's <c>Config</c> that a Llama-style model uses).
/// Values are those of LitGPT's SmolLM2 block except <see cref="RopeBase"/> and <see cref="BlockSize"/>, which take
/// SmolLM2's 2k stable-phase values (10000 and 2048) instead of the context-extended checkpoint's (130000/100000, 8192).
/// </summary>
public sealed record ModelShape(
    string Name,
    string HfOrg,
    string HfName,
    int Layers,
    int Heads,
    int QueryGroups,
    int Embedding,
    int Intermediate,
    int BaseVocab,
    double RopeBase,
    int BlockSize,
    double NormEps = 1e-5)
{
    public int HeadSize => Embedding / Heads;
}

/// <summary>The SmolLM2 family as LitGPT 0.5.x knows it (PRETRAINING.md §1.4, §2).</summary>
public static class ModelShapes
{
    public static ModelShape SmolLM2_135M { get; } = new("SmolLM2-135M", "HuggingFaceTB", "SmolLM2-135M", 30, 9, 3, 576, 1536, 49152, 10000, 2048);
    public static ModelShape SmolLM2_360M { get; } = new("SmolLM2-360M", "HuggingFaceTB", "SmolLM2-360M", 32, 15, 5, 960, 2560, 49152, 10000, 2048);
    public static ModelShape SmolLM2_1_7B { get; } = new("SmolLM2-1.7B", "HuggingFaceTB", "SmolLM2-1.7B", 24, 32, 32, 2048, 8192, 49152, 10000, 2048);

    public static IReadOnlyList<ModelShape> All { get; } = [SmolLM2_135M, SmolLM2_360M, SmolLM2_1_7B];

    /// <summary>The shape named <paramref name="name"/> (case-insensitive), or bad input listing the known names.</summary>
    public static ModelShape Find(string name, string option = "--model") =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new BadInputException($"unknown model; expected one of {string.Join(", ", All.Select(m => m.Name))}", option, value: name);
}
