using SafetyNotebooks.Modeling;
using SafetyNotebooks.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Decoding;

/// <summary>The default <see cref="LocalModelLoader"/>: Llama checkpoints (SmolLM2, SafeLM) through the Modeling stage.</summary>
public static class LocalModels
{
    /// <summary>
    /// Loads a Llama folder onto <paramref name="device"/> — bfloat16 on CUDA, float32 on the CPU — with its tokenizer
    /// when the folder has tokenizer.json. The model is loaded for inference: <see cref="Inference.Frozen{T}"/>.
    /// </summary>
    public static LocalModel Load(string dir, string? device)
    {
        if (!Directory.Exists(dir)) throw new BadInputException("model folder not found", dir);
        var d = Torch.Device(device);
        var model = Inference.Frozen(LlamaModel.Load(dir, d, d.type == DeviceType.CUDA ? ScalarType.BFloat16 : ScalarType.Float32));
        ITextTokenizer? tokenizer = File.Exists(Path.Combine(dir, "tokenizer.json")) ? HfTokenizer.Load(dir) : null;
        return LocalModel.FromDirectory(dir, model, tokenizer);
    }
}
