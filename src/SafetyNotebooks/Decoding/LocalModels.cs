namespace SafetyNotebooks.Decoding;

/// <summary>The default <see cref="LocalModelLoader"/>: Llama checkpoints (SmolLM2, SafeLM) through the Modeling stage.</summary>
public static class LocalModels
{
    public static LocalModel Load(string dir, string? device) =>
        throw new BadInputException("loading checkpoints needs the Modeling stage's Llama loader, which this build does not include yet", dir);
}
