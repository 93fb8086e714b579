using System.Runtime.InteropServices;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Evaluation;

/// <summary>
/// A count-based n-gram language model behind <see cref="ICausalLanguageModel"/>: the reference baseline of the
/// evaluation demo (it "trains" in milliseconds on the toy world, so notebooks and tests can run the real scoring and
/// attack pipelines on CPU) and a sanity floor for real benchmarks. Probabilities are interpolated recursively
/// (Dirichlet smoothing): P(w | h) = (c(h, w) + β·P(w | h′)) / (c(h) + β), where h′ drops the oldest token, down to a
/// uniform distribution, so every probability is positive and each distribution sums to one.
/// </summary>
public sealed class NGramLanguageModel : ICausalLanguageModel
{
    // Context → next-token counts. A context is keyed by a 64-bit hash chained from its newest token back to its oldest,
    // so every shorter context of a position is one step of the same chain and nothing is allocated per lookup; with a
    // few million contexts the chance of any collision is below 1e-6.
    readonly Dictionary<ulong, Row> _rows = new();

    // Most long contexts of a corpus are followed by one token only; keep that one inline and a dictionary for the rest.
    struct Row
    {
        public int Total;
        public int FirstId;
        public int FirstCount;
        public Dictionary<int, int>? Others;

        public void Add(int id)
        {
            Total++;
            if (FirstCount == 0 || FirstId == id) { FirstId = id; FirstCount++; return; }
            Others ??= new Dictionary<int, int>();
            Others[id] = Others.GetValueOrDefault(id) + 1;
        }
    }

    const ulong EmptyContext = 0x243F6A8885A308D3UL;

    static ulong Extend(ulong hash, int olderToken) => SplitMix64.Mix(hash * SplitMix64.Gamma + (ulong)olderToken + 1);

    public int Order { get; }
    public double Beta { get; }
    public long VocabSize { get; }
    public Device Device => CPU;

    /// <summary>Distinct contexts counted (a size measure).</summary>
    public int Contexts => _rows.Count;

    NGramLanguageModel(int order, long vocabSize, double beta)
    {
        Order = order;
        VocabSize = vocabSize;
        Beta = beta;
    }

    /// <summary>Counts every n-gram up to <paramref name="order"/> in the token sequences (each is preceded by <paramref name="startId"/> when given).</summary>
    public static NGramLanguageModel Fit(IEnumerable<IReadOnlyList<int>> sequences, int order, long vocabSize, int? startId = null, double beta = 1.0)
    {
        if (order < 1) throw new ArgumentOutOfRangeException(nameof(order), order, "must be at least 1");
        if (!(beta > 0)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "must be positive");
        var model = new NGramLanguageModel(order, vocabSize, beta);
        foreach (var seq in sequences)
        {
            var tokens = startId is int s ? seq.Prepend(s).ToArray() : seq.ToArray();
            for (var t = startId is null ? 0 : 1; t < tokens.Length; t++)
            {
                var hash = EmptyContext;
                for (var n = 0; n < order && n <= t; n++)
                {
                    if (n > 0) hash = Extend(hash, tokens[t - n]);
                    CollectionsMarshal.GetValueRefOrAddDefault(model._rows, hash, out _).Add(tokens[t]);
                }
            }
        }
        return model;
    }

    /// <summary>Fits on texts with a tokenizer; texts are separated by the tokenizer's boundary token when <paramref name="startId"/> is given.</summary>
    public static NGramLanguageModel Fit(IEnumerable<string> texts, ITextTokenizer tokenizer, int order, int? startId = null, double beta = 1.0) =>
        Fit(texts.Select(t => tokenizer.Encode(t)), order, tokenizer.VocabSize, startId, beta);

    /// <summary>The next-token distribution after <paramref name="history"/> (only its last Order − 1 tokens matter).</summary>
    public double[] NextDistribution(IReadOnlyList<int> history)
    {
        var maxContext = Math.Min(Order - 1, history.Count);
        var rows = new List<Row>(maxContext + 1);
        var hash = EmptyContext;
        for (var n = 0; n <= maxContext; n++)
        {
            if (n > 0) hash = Extend(hash, history[history.Count - n]);
            if (!_rows.TryGetValue(hash, out var row)) break; // a longer context is unseen too
            rows.Add(row);
        }
        // Unrolled recursion: p(w) = U·Π_n s_n + Σ_n c_n(w)/(T_n + β) · Π_{m>n} s_m, with s_n = β/(T_n + β),
        // so the cost is the vocabulary once plus the observed continuations, not vocabulary × order.
        var p = new double[VocabSize];
        var weight = 1.0; // Π_{m>n} s_m, built from the longest context down
        for (var n = rows.Count - 1; n >= 0; n--)
        {
            var row = rows[n];
            var a = weight / (row.Total + Beta);
            p[row.FirstId] += a * row.FirstCount;
            if (row.Others is not null)
                foreach (var (w, c) in row.Others) p[w] += a * c;
            weight *= Beta / (row.Total + Beta);
        }
        var uniform = weight / VocabSize;
        for (var w = 0; w < p.Length; w++) p[w] += uniform;
        return p;
    }

    public KvCache CreateCache() => new HistoryCache();

    /// <summary>Log-probabilities as logits [rows, T, vocab]; with a cache, earlier tokens of each row are its history.</summary>
    public Tensor Forward(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null)
    {
        var rows = (int)inputIds.shape[0];
        var steps = (int)inputIds.shape[1];
        var ids = inputIds.cpu().to(int64).data<long>().ToArray();
        var history = cache as HistoryCache;
        if (cache is not null && history is null) throw new ArgumentException("not a cache of this model", nameof(cache));
        if (history is not null && history.Rows == 0) history.Start(rows);
        var output = new float[(long)rows * steps * VocabSize];
        for (var r = 0; r < rows; r++)
        {
            var seq = history?.Tokens[r] ?? new List<int>();
            for (var t = 0; t < steps; t++)
            {
                seq.Add((int)ids[r * steps + t]);
                var p = NextDistribution(seq);
                var offset = ((long)r * steps + t) * VocabSize;
                for (var w = 0; w < p.Length; w++) output[offset + w] = (float)Math.Log(p[w]);
            }
        }
        return tensor(output, [rows, steps, VocabSize]);
    }

    /// <summary>
    /// Greedy continuation of <paramref name="prompt"/> for at most <paramref name="maxTokens"/> tokens, stopping at
    /// <paramref name="stopId"/>: the generator the toy attack demo plugs into <see cref="TextGenerator"/>.
    /// </summary>
    public string Complete(ITextTokenizer tokenizer, string prompt, int maxTokens, int? startId = null, int? stopId = null)
    {
        var history = (startId is int s ? tokenizer.Encode(prompt).Prepend(s) : tokenizer.Encode(prompt)).ToList();
        var generated = new List<int>();
        for (var i = 0; i < maxTokens; i++)
        {
            var p = NextDistribution(history);
            var next = 0;
            for (var w = 1; w < p.Length; w++) if (p[w] > p[next]) next = w;
            if (next == stopId) break;
            history.Add(next);
            generated.Add(next);
        }
        return tokenizer.Decode(generated, skipSpecialTokens: true);
    }

    sealed class HistoryCache : KvCache
    {
        public List<List<int>> Tokens { get; private set; } = [];

        public void Start(int rows) => Tokens = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToList();

        public override long Length => Tokens.Count == 0 ? 0 : Tokens[0].Count;
        public override long Rows => Tokens.Count;

        public override void SelectRows(Tensor rowIndex)
        {
            var idx = rowIndex.cpu().to(int64).data<long>().ToArray();
            Tokens = idx.Select(i => new List<int>(Tokens[(int)i])).ToList();
        }

        public override void Dispose() { }
    }
}
