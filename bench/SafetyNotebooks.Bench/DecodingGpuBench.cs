using System.Diagnostics;
using System.Globalization;
using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Bench;

/// <summary>
/// The GPU decoding benchmark of issue 6: SmolLM2-360M shape (random weights), bfloat16, a 128-token prompt, 128 new
/// tokens, k = 4, n = 8: Safe Beam Search time per token against plain beam search, against the naive Safe Beam, and
/// against Hugging Face <c>generate(num_beams=4)</c> run by gpu/hf_beam.py in the same command (targets: ≤ 1.3×, ≥ 10×
/// faster, ≥ 5× faster). <c>--tiny</c> runs the same code at toy size on the CPU (to prove it works; no timing claim).
/// usage: decoding-gpu [--tiny] [--device cuda] [--python python3] [--no-hf]
/// </summary>
public static class DecodingGpuBench
{
    public static int Run(string[] args)
    {
        var a = BenchArgs.Parse(args);
        var tiny = a.Flag("tiny");
        var shape = tiny ? DecodingBench.Toy : LlamaConfig.SmolLM2_360M;
        var device = Torch.Device(a.Text("device") ?? (tiny ? "cpu" : "cuda"));
        var dtype = tiny ? ScalarType.Float32 : ScalarType.BFloat16;
        var (promptLength, newTokens, naiveNew) = tiny ? (16, 8, 4) : (128, 128, 8);
        Console.WriteLine($"Llama {shape} on {device}, {dtype}; prompt {promptLength}, {newTokens} new tokens, k = 4, n = 8" + (tiny ? " (tiny CPU run: proves the benchmark works, not a GPU measurement)" : ""));
        var model = LlamaModel.Create(shape, seed: 0, device, dtype);
        double? hf = a.Flag("no-hf") ? null : HuggingFace(a.Text("python") ?? "python3", shape, device.type == DeviceType.CUDA ? "cuda" : "cpu", tiny, promptLength, newTokens);
        return DecodingBench.Compare(model, promptLength, newTokens, k: 4, n: 8, naiveNewTokens: naiveNew, hf, runs: tiny ? 1 : 3);
    }

    /// <summary>Seconds per new token of transformers' beam search on a model of the same shape, or null when transformers is missing.</summary>
    static double? HuggingFace(string python, LlamaConfig s, string device, bool tiny, int promptLength, int newTokens)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "gpu", "hf_beam.py");
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { script, "--vocab", $"{s.VocabSize}", "--hidden", $"{s.HiddenSize}", "--layers", $"{s.NumLayers}", "--heads", $"{s.NumHeads}",
                     "--kv-heads", $"{s.NumKvHeads}", "--intermediate", $"{s.IntermediateSize}", "--head-dim", $"{s.HeadDim}", "--rope-theta", $"{s.RopeTheta}", "--device", device, "--dtype", tiny ? "float32" : "bfloat16",
                     "--prompt", $"{promptLength}", "--new", $"{newTokens}", "--beams", "4" })
            info.ArgumentList.Add(arg);
        try
        {
            using var p = Process.Start(info)!;
            var stdout = p.StandardOutput.ReadToEnd();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("seconds_per_token "));
            if (p.ExitCode == 0 && line is not null) return double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            Console.WriteLine($"HF generate baseline skipped: {stderr.Trim().Split('\n').LastOrDefault()}");
        }
        catch (System.ComponentModel.Win32Exception e) { Console.WriteLine($"HF generate baseline skipped: {python}: {e.Message}"); }
        return null;
    }
}
