using SafetyNotebooks.Decoding;
using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Bench;

/// <summary>
/// Decoding speed on the CPU with a toy Llama (the toolkit's, random weights): greedy, plain beam search, Safe Beam Search (one
/// batched look-ahead forward per step on the KV cache) and the naive Safe Beam (k + k·n uncached forwards per step),
/// at the same k. New tokens per second and ratios against plain beam search, all in this process.
/// usage: decoding [--prompt 32] [--new 16] [--beams 4] [--candidates 8] [--naive-new 4] [--runs 3]
/// </summary>
public static class DecodingBench
{
    public static readonly LlamaConfig Toy = new(VocabSize: 2048, HiddenSize: 128, IntermediateSize: 384, NumLayers: 4, NumHeads: 4, NumKvHeads: 2, HeadDim: 32);

    public static int Run(string[] args)
    {
        var a = BenchArgs.Parse(args);
        var model = LlamaModel.Create(Toy, seed: 0);
        Console.WriteLine($"toy Llama {Toy} on cpu, float32; prompt {a.Int("prompt", 32)}, {a.Int("new", 16)} new tokens, k = {a.Int("beams", 4)}, n = {a.Int("candidates", 8)}; {get_num_threads()} threads");
        return Compare(model, a.Int("prompt", 32), a.Int("new", 16), a.Int("beams", 4), a.Int("candidates", 8), a.Int("naive-new", 4), hf: null, runs: a.Int("runs", 3));
    }

    /// <summary>Times each strategy (median of runs) and prints seconds per new token, tokens/s and the ratio to plain beam search.</summary>
    internal static int Compare(ICausalLanguageModel model, int promptLength, int newTokens, int k, int n, int naiveNewTokens, double? hf, int runs = 3)
    {
        var prompt = Enumerable.Range(0, promptLength).Select(i => (i * 37 + 11) % (int)(model.VocabSize - 1)).ToArray();
        var tag = (int)model.VocabSize - 1;
        double PerToken(Func<GenerationResult> run, int tokens)
        {
            GenerationResult? last = null;
            var t = Harness.Median(() => { last = run(); Sync(model); }, runs: runs);
            if (last!.Tokens.Count != tokens) throw new InvalidOperationException($"expected {tokens} new tokens, got {last.Tokens.Count}");
            return t.TotalSeconds / tokens;
        }
        var stop = Stopping.After(newTokens);
        var greedy = PerToken(() => Greedy.Run(model, prompt, new GreedyOptions(stop)), newTokens);
        var beam = PerToken(() => BeamSearch.Run(model, prompt, new BeamSearchOptions(stop, Beams: k)), newTokens);
        var safe = PerToken(() => SafeBeamSearch.Run(model, prompt, new SafeBeamOptions(stop, tag, Beams: k, Candidates: n)), newTokens);
        var naive = PerToken(() => NaiveSafeBeamSearch.Run(model, prompt, new SafeBeamOptions(Stopping.After(naiveNewTokens), tag, Beams: k, Candidates: n)), naiveNewTokens);
        void Line(string name, double perToken) =>
            Console.WriteLine($"{name,-44} {perToken * 1000,10:0.00} ms/token {1 / perToken,10:0.0} tokens/s {perToken / beam,8:0.00}× plain beam");
        Line("greedy", greedy);
        Line($"plain beam search (k={k})", beam);
        Line($"Safe Beam Search (k={k}, n={n}, one forward/step)", safe);
        Line($"naive Safe Beam ({naiveNewTokens} tokens, k+k·n forwards/step)", naive);
        if (hf is { } h) Line("HF transformers generate(num_beams=k)", h);
        Console.WriteLine($"Safe Beam vs plain beam: {safe / beam:0.00}× time per token; naive / Safe Beam: {naive / safe:0.0}× slower"
                          + (hf is { } x ? $"; HF generate / Safe Beam: {x / safe:0.0}× slower" : ""));
        return 0;
    }

    static void Sync(ICausalLanguageModel model)
    {
        if (model.Device.type == DeviceType.CUDA) cuda.synchronize();
    }
}

/// <summary>--name value pairs.</summary>
internal sealed record BenchArgs(Dictionary<string, string> Values)
{
    public static BenchArgs Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i++)
            if (args[i].StartsWith("--")) values[args[i][2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--") ? args[++i] : "true";
        return new BenchArgs(values);
    }
    public int Int(string name, int fallback) => Values.TryGetValue(name, out var v) ? int.Parse(v) : fallback;
    public string? Text(string name) => Values.GetValueOrDefault(name);
    public bool Flag(string name) => Values.ContainsKey(name);
}
