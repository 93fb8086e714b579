using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Decoding;

/// <summary>
/// The rows being decoded on a KV cache: the cache, each row's attention mask (left padding is 0) and each row's next
/// position. Rows are reordered, dropped or repeated together with <see cref="Select"/>; <see cref="Step"/> runs one
/// new token per row. Every strategy drives the model through this, so padding and positions are handled once.
/// </summary>
internal sealed class CachedRows : IDisposable
{
    readonly ICausalLanguageModel model;
    readonly KvCache cache;
    Tensor? mask;          // int64 [rows, cacheLength]; null while no row has padding
    long[] nextPosition;   // per row

    public DecodingCost Cost { get; private set; } = DecodingCost.Zero;
    public long Rows => nextPosition.Length;

    CachedRows(ICausalLanguageModel model, KvCache cache, Tensor? mask, long[] nextPosition)
    {
        this.model = model;
        this.cache = cache;
        this.mask = mask;
        this.nextPosition = nextPosition;
    }

    /// <summary>
    /// Runs the prompts, left-padded to one length, and returns the rows (one per prompt) and the float32 logits of each
    /// prompt's next token [prompts, vocab]. Positions count real tokens only, as Hugging Face does for padded batches.
    /// </summary>
    public static (CachedRows Rows, Tensor NextLogits) Prefill(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts)
    {
        var width = prompts.Max(p => p.Count);
        var ids = new long[prompts.Count * width];
        var maskData = new long[prompts.Count * width];
        var positions = new long[prompts.Count * width];
        for (var r = 0; r < prompts.Count; r++)
        {
            var pad = width - prompts[r].Count;
            for (var t = 0; t < prompts[r].Count; t++)
            {
                ids[r * width + pad + t] = prompts[r][t];
                maskData[r * width + pad + t] = 1;
                positions[r * width + pad + t] = t;
            }
        }
        var padded = prompts.Any(p => p.Count != width);
        var device = model.Device;
        var cache = model.CreateCache();
        using var scope = NewDisposeScope();
        var mask = padded ? tensor(maskData, [prompts.Count, width], device: device) : null;
        var logits = model.Forward(
            tensor(ids, [prompts.Count, width], device: device),
            padded ? tensor(positions, [prompts.Count, width], device: device) : null,
            mask,
            cache);
        var next = logits[TensorIndex.Colon, -1].to_type(ScalarType.Float32).contiguous();
        mask?.DetachFromDisposeScope();
        next.MoveToOuterDisposeScope();
        var rows = new CachedRows(model, cache, mask, prompts.Select(p => (long)p.Count).ToArray())
        {
            Cost = DecodingCost.Zero.Add(prompts.Count, width),
        };
        return (rows, next);
    }

    /// <summary>Row i becomes row <paramref name="rowIndex"/>[i]: beam reordering, dropping finished rows, expanding candidates.</summary>
    public void Select(IReadOnlyList<long> rowIndex)
    {
        using var scope = NewDisposeScope();
        var index = tensor(rowIndex.ToArray(), device: model.Device);
        cache.SelectRows(index);
        if (mask is not null)
        {
            var selected = mask.index_select(0, index).DetachFromDisposeScope();
            mask.Dispose();
            mask = selected;
        }
        nextPosition = rowIndex.Select(i => nextPosition[(int)i]).ToArray();
    }

    /// <summary>Feeds one token per row and returns float32 next-token logits [rows, vocab].</summary>
    public Tensor Step(IReadOnlyList<long> tokens)
    {
        if (tokens.Count != Rows) throw new ArgumentException($"{tokens.Count} tokens for {Rows} rows");
        var device = model.Device;
        using var scope = NewDisposeScope();
        Tensor? stepMask = null;
        if (mask is not null)
        {
            var grown = cat([mask, ones(Rows, 1, dtype: ScalarType.Int64, device: device)], 1).DetachFromDisposeScope();
            mask.Dispose();
            mask = grown;
            stepMask = mask;
        }
        var logits = model.Forward(
            tensor(tokens.ToArray(), [Rows, 1], device: device),
            tensor(nextPosition, [Rows, 1], device: device),
            stepMask,
            cache);
        nextPosition = nextPosition.Select(p => p + 1).ToArray();
        Cost = Cost.Add(Rows, 1);
        return logits[TensorIndex.Colon, -1].to_type(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        mask?.Dispose();
        cache.Dispose();
    }
}

/// <summary>Small tensor-to-array helpers shared by the strategies (selection logic runs on the CPU over k·n values).</summary>
internal static class Host
{
    public static float[] Floats(Tensor t) { using var c = t.to_type(ScalarType.Float32).cpu(); return c.data<float>().ToArray(); }
    public static long[] Longs(Tensor t) { using var c = t.to_type(ScalarType.Int64).cpu(); return c.data<long>().ToArray(); }

    /// <summary>The top <paramref name="count"/> log-probs of each row: values and token ids, row-major [rows, count].</summary>
    public static (float[] LogProbs, long[] Ids) TopLogProbs(Tensor logits, int count, int? excludedToken = null)
    {
        using var scope = NewDisposeScope();
        var logp = torch.nn.functional.log_softmax(logits, 1);
        if (excludedToken is { } tag)
            logp = logp.index_fill(1, tensor(new long[] { tag }, device: logits.device), float.NegativeInfinity);
        var (values, ids) = logp.topk(count, dim: 1, largest: true, sorted: true);
        return (Floats(values), Longs(ids));
    }
}
