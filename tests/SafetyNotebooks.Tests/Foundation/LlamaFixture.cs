using System.Text.Json;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Tests;

/// <summary>The llama-a fixture (Hugging Face transformers 5.17, float32): what each case expects.</summary>
public sealed record LlamaCase(int[] Prompt, float[][] Logits, int[] Greedy, int[][] Beam4, double[] Beam4Scores,
    int[] SafeTokens, double SafeLogProb, (int[] Tokens, double LogProb)[] SafeBeams)
{
    public long[] PromptIds => Prompt.Select(x => (long)x).ToArray();

    /// <summary>The prompt (int64 ids), the expected logits and the greedy continuation (int64 ids).</summary>
    public void Deconstruct(out long[] prompt, out float[][] logits, out long[] greedy) =>
        (prompt, logits, greedy) = (PromptIds, Logits, Greedy.Select(x => (long)x).ToArray());
}

/// <summary>The llama-a fixture, loaded once for every test that uses it (parity, decoding, the CLI, training).</summary>
public static class LlamaFixture
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "fixtures", "llama-a");
    public const int Tag = 511;

    // The toolkit's Llama (Modeling/) loaded from the fixture folder, as `safetynb generate --model` loads it.
    static readonly Lazy<ICausalLanguageModel> Loaded = new(() => LocalModels.Load(Dir, "cpu").Model);
    public static ICausalLanguageModel Model => Loaded.Value;

    /// <summary>expected.json as written by the fixture's generator.</summary>
    public static JsonElement Expected { get; } = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "expected.json"))).RootElement;

    public static IReadOnlyList<LlamaCase> Cases()
    {
        var doc = Expected;
        Assert.Equal(Tag, doc.GetProperty("tag_token_id").GetInt32());
        static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
        return doc.GetProperty("cases").EnumerateArray().Select(c =>
        {
            var beam = c.GetProperty("beam4");
            var safe = c.GetProperty("safe_beam");
            return new LlamaCase(
                Ints(c.GetProperty("prompt")),
                c.GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray(),
                Ints(c.GetProperty("greedy")),
                beam.GetProperty("sequences").EnumerateArray().Select(Ints).ToArray(),
                beam.GetProperty("sequence_scores").EnumerateArray().Select(x => x.GetDouble()).ToArray(),
                Ints(safe.GetProperty("tokens")),
                safe.GetProperty("logprob").GetDouble(),
                safe.GetProperty("beams").EnumerateArray().Select(b => (Ints(b.GetProperty("tokens")), b.GetProperty("logprob").GetDouble())).ToArray());
        }).ToArray();
    }

    /// <summary>Greedy decoding, either re-running the whole sequence each step or feeding one token at a time through a KV cache.</summary>
    public static long[] Greedy(ICausalLanguageModel model, long[] prompt, int steps, bool useCache)
    {
        using var _ = no_grad();
        var tokens = prompt.ToList();
        using var cache = useCache ? model.CreateCache() : null;
        var next = prompt;
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            var input = tensor(useCache ? next : tokens.ToArray()).unsqueeze(0);
            var logits = model.Forward(input, cache: cache);
            var id = logits[0, -1].argmax().item<long>();
            tokens.Add(id);
            next = [id];
        }
        return tokens.Skip(prompt.Length).ToArray();
    }
}
