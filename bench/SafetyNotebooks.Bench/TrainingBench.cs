using SafetyNotebooks.Tagging;
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

/// <summary>
/// Token export throughput: documents → tokenizer → LitData chunks, in tokens/s per core (one thread, CPU time). Text:
/// synthetic prose with 5 % harmfulness tags; tokenizers: a byte-level BPE learned on it (GPT-2 / SmolLM2 style, the tag
/// an added token) and the byte alphabet alone. Baseline in the same process: Hugging Face's tokenizers (Rust, via
/// Tokenizers.DotNet) encoding the same texts with the same tokenizer.json (encode only, no export). Args:
/// [megabytes=8] [merges=4000].
/// </summary>
public static class LitDataExportBench
{
    public static int Run(string[] args)
    {
        var megabytes = args.Length > 0 ? int.Parse(args[0]) : 8;
        var merges = args.Length > 1 ? int.Parse(args[1]) : 4000;
        var plan = TagPlan.From(new TagOptions());
        var texts = SyntheticProse.Documents(megabytes * 1_000_000L, seed: 4)
            .Select(d => HarmfulnessTagger.Tag(System.Text.Encoding.UTF8.GetString(d.Text), System.Text.Encoding.UTF8.GetString(d.Id), plan).Text).ToList();
        var mb = texts.Sum(t => (long)System.Text.Encoding.UTF8.GetByteCount(t)) / 1e6;
        var dir = Directory.CreateTempSubdirectory("snb-export-").FullName;
        try
        {
            var learned = ByteLevelBpeTrainer.Train(texts.Take(300), new BpeTrainingOptions(Merges: merges));
            var bpeDir = ByteLevelTokenizer.Write(Path.Combine(dir, "bpe"), ByteLevelTokenizer.TokenizerJson(learned, tagLstrip: true));
            var bytesDir = ByteLevelTokenizer.Write(Path.Combine(dir, "bytes"));
            Console.WriteLine($"{texts.Count} documents, {mb:0.0} MB with 5 % tags; BPE of {learned.Count} merges learned on 300 of them");
            var n = 0;
            foreach (var (name, tokDir) in new[] { ("BPE", bpeDir), ("byte alphabet", bytesDir) })
            {
                long tokens = 0;
                var ours = TagBench.MedianCpu(() =>
                {
                    var r = LitDataExporter.ExportAsync(texts.ToAsyncEnumerable(), tokDir, Path.Combine(dir, $"out{n++}"), new LitDataExportOptions(ChunkBytes: 8_000_000)).GetAwaiter().GetResult();
                    tokens = r.Tokens;
                }, 3).TotalSeconds;
                long hfTokens = 0;
                using var hf = new Tokenizers.DotNet.Tokenizer(vocabPath: Path.Combine(tokDir, "tokenizer.json"));
                var rust = TagBench.MedianCpu(() => { hfTokens = 0; foreach (var t in texts) hfTokens += hf.Encode(t).Length + 1; }, 3).TotalSeconds;
                Harness.Row($"{name}: Hugging Face tokenizers encode, 1 thread [baseline]", hfTokens / rust, "tok/s", 1.0);
                Harness.Row($"{name}: safetynb export litdata, 1 thread (tokenize + write)", tokens / ours, "tok/s", rust / ours);
                Harness.Row($"{name}: safetynb export litdata, input MB per CPU-s", mb / ours, "MB/s");
                Console.WriteLine($"{name}: tokens (with one EOS per document): export {tokens}, Hugging Face {hfTokens}{(tokens == hfTokens ? " (equal)" : " (DIFFERENT)")}");
                if (tokens != hfTokens) return 1;
            }
            return 0;
        }
        finally { Directory.Delete(dir, true); }
    }
}
