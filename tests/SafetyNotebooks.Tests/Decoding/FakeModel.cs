using SafetyNotebooks.Modeling;
using SafetyNotebooks.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Tests.Decoding;

/// <summary>
/// A deterministic stand-in for a language model: the logits after a sequence are a pseudo-random function of all its
/// real tokens (so a wrongly reordered cache row or a padding token read as real changes the output), and the model
/// checks that every real token arrives at the position it has in its own sequence. <paramref name="tagBias"/> is added to
/// the tag's logit (large: the model wants to emit the tag); <paramref name="eosBias"/> likewise for <see cref="Eos"/>.
/// </summary>
public sealed class FakeModel(int vocab, int seed, float tagBias = 0, float eosBias = float.NaN) : ICausalLanguageModel
{
    public int Tag => vocab - 1;
    public int Eos => vocab - 2;
    public long VocabSize => vocab;
    public Device Device => CPU;
    public int Forwards { get; private set; }

    public KvCache CreateCache() => new Cache();

    sealed class Cache : KvCache
    {
        public List<List<int>> History = [];
        public long CachedLength;
        public override long Length => CachedLength;
        public override long Rows => History.Count;
        public override void SelectRows(Tensor rowIndex) =>
            History = rowIndex.data<long>().ToArray().Select(i => History[(int)i].ToList()).ToList();
        public override void Dispose() { }
    }

    public float[] LogitsAfter(IReadOnlyList<int> sequence)
    {
        var hash = sequence.Aggregate(seed * 7919 + 17, (h, t) => unchecked(h * 31 + t + 1));
        var random = new Random(hash);
        var logits = Enumerable.Range(0, vocab).Select(_ => (float)(6 * random.NextDouble() - 3)).ToArray();
        logits[Tag] += tagBias;
        if (float.IsNaN(eosBias)) logits[Eos] = -1e4f;   // no EOS unless asked for
        else logits[Eos] += eosBias;
        return logits;
    }

    public Tensor Forward(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null)
    {
        Forwards++;
        var (rows, T) = ((int)inputIds.shape[0], (int)inputIds.shape[1]);
        var c = (Cache?)cache;
        var past = c?.CachedLength ?? 0;
        if (c is not null && c.History.Count == 0) c.History = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToList();
        if (c is not null && c.History.Count != rows) throw new InvalidOperationException($"cache has {c.History.Count} rows, input {rows}");
        var ids = inputIds.data<long>().ToArray();
        var mask = attentionMask?.data<long>().ToArray();
        var positions = positionIds?.data<long>().ToArray();
        var output = new float[rows * T * vocab];
        for (var r = 0; r < rows; r++)
        {
            var history = c?.History[r] ?? [];
            for (var t = 0; t < T; t++)
            {
                if (mask is not null && mask[r * (past + T) + past + t] == 0) continue;
                var expected = positions?[r * T + t] ?? past + t;
                if (expected != history.Count) throw new InvalidOperationException($"row {r}: token at position {expected}, expected {history.Count}");
                history.Add((int)ids[r * T + t]);
                LogitsAfter(history).CopyTo(output, (r * T + t) * vocab);
            }
        }
        if (c is not null) c.CachedLength = past + T;
        return tensor(output, [rows, T, vocab]);
    }
}

/// <summary>A character tokenizer for stop-string tests: token i is the letter 'a' + i % 26.</summary>
public sealed class LetterTokenizer(int vocab) : ITextTokenizer
{
    public int VocabSize => vocab;
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false) => text.Select(ch => ((ch - 'a') % 26 + 26) % 26 % (vocab - 2)).ToArray();
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false) => new(ids.Select(i => (char)('a' + i % 26)).ToArray());
    public int? TokenToId(string token) => token.Length == 1 && token[0] - 'a' < vocab ? token[0] - 'a' : null;
}
