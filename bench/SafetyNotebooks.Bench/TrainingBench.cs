using SafetyNotebooks.Data.LitData;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Tokenization;
using SafetyNotebooks.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Bench;

/// <summary>
/// Training throughput of the toolkit's trainer. <c>train [--size tiny|byte-small|smollm2-360m] [--batch B] [--seq T]
/// [--steps N] [--device cpu|cuda] [--peak-flops F]</c>. Default: the paper-in-miniature byte-level model on CPU.
/// On a GPU (bench/gpu/run.sh): SmolLM2-360M shape, bf16 compute over fp32 master weights, batch 8×2048.
/// </summary>
public static class TrainingBench
{
    static string Arg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    public static int Run(string[] args)
    {
        var size = Arg(args, "--size", "byte-small");
        var shape = size switch
        {
            "smollm2-360m" => LlamaConfig.SmolLM2_360M,
            "byte-small" => new LlamaConfig(ByteLevelTokenizer.VocabSize, 128, 384, 4, 4, 2, 32, 10000, 1e-5, true, 2048, null, ByteLevelTokenizer.EosId),
            "tiny" => new LlamaConfig(512, 64, 128, 2, 4, 2, 16, 10000, 1e-5, true, 2048, null, 0),
            _ => throw new ArgumentException($"--size {size}: expected tiny, byte-small or smollm2-360m"),
        };
        var batch = int.Parse(Arg(args, "--batch", size == "smollm2-360m" ? "8" : "8"));
        var seq = int.Parse(Arg(args, "--seq", size == "smollm2-360m" ? "2048" : "128"));
        var steps = int.Parse(Arg(args, "--steps", "12"));
        var device = Torch.Device(Arg(args, "--device", "cpu"));
        var peak = double.Parse(Arg(args, "--peak-flops", device.type == DeviceType.CUDA ? "989e12" : "0"), System.Globalization.CultureInfo.InvariantCulture);
        Torch.Seed(0);
        var rng = new Random(0);
        var tokens = Enumerable.Range(0, (steps * batch + 1) * (seq + 1)).Select(_ => rng.Next(shape.VocabSize)).ToArray();
        var data = new InMemoryTokenSource(tokens, seq + 1);
        var model = LlamaModel.Create(shape, seed: 0, device);
        var config = new TrainConfig(steps, batch, seq, LearningRate: 3e-4, WarmupSteps: 1, Bf16: true, PeakFlops: peak > 0 ? peak : null);
        var log = Trainer.Train(model, config, data, new TrainRun(Shuffle: false)).Log;
        var timed = log.Skip(Math.Min(2, log.Count - 1)).ToList(); // first steps include allocator and kernel warm-up
        var tps = timed.Select(e => e.TokensPerSecond).Order().ElementAt(timed.Count / 2);
        Console.WriteLine($"device {device} ({(device.type == DeviceType.CUDA ? "CUDA" : $"{get_num_threads()} CPU threads")}), {size}: {shape.ParameterCount / 1e6:0.0}M parameters, batch {batch}×{seq}, {(device.type == DeviceType.CUDA ? "bf16 compute / fp32 master" : "float32")}");
        Harness.Row("train tokens/s (median step)", tps, "tok/s");
        Harness.Row("train step", batch * seq / tps * 1000, "ms");
        var flops = shape.TrainFlopsPerToken(seq) * tps;
        Harness.Row("model TFLOP/s (6N + attention)", flops / 1e12, "TFLOP/s");
        if (peak > 0) Harness.Row("MFU", 100 * flops / peak, "%");
        Harness.Row("final loss", log[^1].Loss, "nats");
        return 0;
    }
}

/// <summary>Token export throughput: documents → tokenizer → LitData chunks, in tokens/s per core.</summary>
public static class LitDataExportBench
{
    public static int Run(string[] args)
    {
        var rng = new Random(1);
        string[] words = ["the", "cat", "sat", "on", "mat", "hello", "world", "safety", "pretraining", "data", "12", "tokens", "<potentially_unsafe_content>"];
        var texts = Enumerable.Range(0, 4000).Select(_ => string.Join(' ', Enumerable.Range(0, 200).Select(_ => words[rng.Next(words.Length)]))).ToList();
        var dir = Directory.CreateTempSubdirectory("snb-export-").FullName;
        var tokDir = Path.Combine(dir, "tok");
        ByteLevelTokenizer.Write(tokDir);
        long tokens = 0;
        var n = 0;
        var time = Harness.Median(() =>
        {
            var r = LitDataExporter.ExportAsync(texts.ToAsyncEnumerable(), tokDir, Path.Combine(dir, $"out{n++}"), new LitDataExportOptions(ChunkBytes: 8_000_000)).GetAwaiter().GetResult();
            tokens = r.Tokens;
        }, runs: 3);
        Harness.Row("export byte-level tokens/s (1 thread)", tokens / time.TotalSeconds, "tok/s");
        Harness.Row("export input MB/s (1 thread)", texts.Sum(t => t.Length) / 1e6 / time.TotalSeconds, "MB/s");
        Directory.Delete(dir, true);
        return 0;
    }
}
