using SafetyNotebooks.Modeling;
using SafetyNotebooks.Tests.Foundation;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Modeling;

/// <summary>A random two-layer Llama over the toy world's byte-level vocabulary, saved as a Hugging Face model folder
/// (config.json, model.safetensors, tokenizer.json with the harmfulness tag as token 257).</summary>
public static class TinyLlamaFolder
{
    public static LlamaConfig Config { get; } = new(ByteLevelTokenizer.VocabSize, 32, 64, 2, 4, 2, 8, EosTokenId: ByteLevelTokenizer.EosId);

    public static string Create(long seed = 0)
    {
        var dir = TestDirs.Fresh();
        using (var model = LlamaModel.Create(Config, seed)) model.Save(dir);
        return ByteLevelTokenizer.Write(dir);
    }
}
