using System.Diagnostics;
using System.Text.Json;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Bench;

/// <summary>
/// Greedy decoding on the CPU against PyTorch eager, same weights, same command: the toolkit's Llama (the miniature's
/// shape by default, random weights) is saved to a temporary folder; bench/reference/llama_eager.py (Debian's
/// python3-torch) loads the same safetensors, writes the prompt's logits, which must equal ours within 1e-4, and times
/// greedy decoding under torch.no_grad(). Both sides use the same thread count (2 by default), the same prompt and
/// the same number of new tokens; the new tokens must be equal. Prints new tokens/s of each and the ratio.
/// usage: decoding-eager [--vocab 512] [--hidden 128] [--layers 3] [--heads 4] [--prompt 32] [--new 64] [--runs 5]
///        [--threads 2] [--python python3]
/// </summary>
public static class EagerDecodingBench
{
    public static int Run(string[] args)
    {
        var a = BenchArgs.Parse(args);
        var threads = a.Int("threads", 2);
        set_num_threads(threads);
        var hidden = a.Int("hidden", 128);
        var heads = a.Int("heads", 4);
        var shape = new LlamaConfig(VocabSize: a.Int("vocab", 512), HiddenSize: hidden, IntermediateSize: hidden * 8 / 3 / 8 * 8, NumLayers: a.Int("layers", 3),
            NumHeads: heads, NumKvHeads: heads, HeadDim: hidden / heads, MaxPositionEmbeddings: 1024);
        int promptLength = a.Int("prompt", 32), newTokens = a.Int("new", 64), runs = a.Int("runs", 5);
        var prompt = Enumerable.Range(0, promptLength).Select(i => (i * 37 + 11) % (shape.VocabSize - 1)).ToArray();
        var dir = Path.Combine(Path.GetTempPath(), $"safetynb-eager-{Environment.ProcessId}");
        try
        {
            using (var created = LlamaModel.Create(shape, seed: 0)) created.Save(dir);
            using var model = Inference.Frozen(LlamaModel.Load(dir));
            Console.WriteLine($"Llama {shape} on cpu, float32; prompt {promptLength}, {newTokens} new tokens, greedy; {threads} threads both sides");

            var logitsFile = Path.Combine(dir, "torch-logits.bin");
            var torchRun = PyTorch(a.Text("python") ?? "python3", dir, prompt, newTokens, runs, threads, logitsFile);
            if (torchRun is null) return 1;

            var ours = Logits(model, prompt);
            var theirs = File.ReadAllBytes(logitsFile);
            var diff = 0f;
            for (var i = 0; i < ours.Length; i++) diff = Math.Max(diff, Math.Abs(ours[i] - BitConverter.ToSingle(theirs, 4 * i)));
            Console.WriteLine($"prompt logits: max |ours - PyTorch| = {diff:E2} over {ours.Length} values");
            if (theirs.Length != 4 * ours.Length || !(diff < 1e-4f)) { Console.WriteLine("logits differ: FAIL"); return 1; }

            GenerationResult? last = null;
            var stop = Stopping.After(newTokens);
            var t = Harness.Median(() => last = Greedy.Run(model, prompt, new GreedyOptions(stop)), runs: runs);
            if (!last!.Tokens.SequenceEqual(torchRun.Value.Tokens)) { Console.WriteLine("greedy tokens differ: FAIL"); return 1; }
            var oursRate = newTokens / t.TotalSeconds;
            var torchRate = newTokens / Median(torchRun.Value.Seconds);
            Console.WriteLine($"{"SafetyNotebooks (TorchSharp, no_grad)",-40} {oursRate,10:0.0} new tokens/s");
            Console.WriteLine($"{$"PyTorch {torchRun.Value.Version} eager (no_grad)",-40} {torchRate,10:0.0} new tokens/s");
            Console.WriteLine($"ratio ours / PyTorch: {oursRate / torchRate:0.00}×; greedy tokens equal");
            return 0;
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    static float[] Logits(ICausalLanguageModel model, int[] prompt)
    {
        using var scope = NewDisposeScope();
        using var inference = Inference.Mode();
        return model.Forward(tensor(prompt.Select(x => (long)x).ToArray(), [1, prompt.Length]))[0].contiguous().data<float>().ToArray();
    }

    static double Median(IReadOnlyList<double> xs) => xs.Order().ElementAt(xs.Count / 2);

    static (int[] Tokens, double[] Seconds, string Version)? PyTorch(string python, string dir, int[] prompt, int newTokens, int runs, int threads, string logitsFile)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "reference", "llama_eager.py");
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var x in new[] { script, dir, string.Join(",", prompt), newTokens.ToString(), runs.ToString(), threads.ToString(), logitsFile }) info.ArgumentList.Add(x);
        info.Environment["OMP_NUM_THREADS"] = threads.ToString();
        try
        {
            using var p = Process.Start(info)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                Console.WriteLine($"PyTorch baseline failed ({python}; install Debian's python3-torch: bash .ci/setup-machine.sh python3-torch):\n{stderr.Result}");
                return null;
            }
            using var doc = JsonDocument.Parse(stdout.Result.Trim().Split('\n')[^1]);
            var r = doc.RootElement;
            return (r.GetProperty("tokens").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                r.GetProperty("seconds").EnumerateArray().Select(x => x.GetDouble()).ToArray(), r.GetProperty("torch").GetString() ?? "?");
        }
        catch (System.ComponentModel.Win32Exception e) { Console.WriteLine($"PyTorch baseline: {python}: {e.Message}"); return null; }
    }
}
