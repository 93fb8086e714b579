using System.Buffers;
using System.Text;

namespace SafetyNotebooks.Tagging;

/// <summary>The tagged <c>text</c> column and the <c>tag_count</c> column of one batch of documents.</summary>
public sealed record TaggedColumns(string?[] Texts, int?[] TagCounts)
{
    public long TotalTags => TagCounts.Sum(c => (long)(c ?? 0));
}

/// <summary>
/// Harmfulness tagging of a column batch (one Parquet row group): ids, texts and safety scores in, tagged texts and
/// tag counts out. Documents are independent, so the batch is split across threads without changing a byte.
/// </summary>
public static class TagColumns
{
    /// <summary>
    /// Tags every document whose score reaches the plan's minimum. A null text stays null (tag count 0). Scores must
    /// all be present and, for documents that get tagged, ids too; checked by <see cref="MissingScoreRow"/> and here.
    /// </summary>
    public static TaggedColumns Tag(IReadOnlyList<string?> ids, IReadOnlyList<string?> texts, IReadOnlyList<double?> scores, TagPlan plan, int threads = 1)
    {
        if (ids.Count != texts.Count || scores.Count != texts.Count)
            throw new ArgumentException($"column lengths differ: {ids.Count} ids, {texts.Count} texts, {scores.Count} scores");
        var n = texts.Count;
        for (var i = 0; i < n; i++)
        {
            if (texts[i] is null) continue;
            if (scores[i] is not { } s) throw new ArgumentException($"row {i}: the safety score is missing");
            if (s >= plan.MinScore && ids[i] is null) throw new ArgumentException($"row {i}: the id is missing (tag draws are keyed by id)");
        }
        var tagged = new string?[n];
        var counts = new int?[n];
        // contiguous ranges, one per worker: each owns its buffers, and every document lands in its own slot
        var workers = Math.Clamp(threads, 1, Math.Max(1, n / 64));
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var buffers = new Buffers();
            for (var i = (int)((long)n * w / workers); i < (int)((long)n * (w + 1) / workers); i++)
                (tagged[i], counts[i]) = TagOne(ids[i], texts[i], scores[i], plan, buffers);
        });
        return new TaggedColumns(tagged, counts);
    }

    /// <summary>The first row whose score is null, or -1 (missing scores are bad input: nothing is tagged by guess).</summary>
    public static int MissingScoreRow(IReadOnlyList<double?> scores)
    {
        for (var i = 0; i < scores.Count; i++)
            if (scores[i] is null) return i;
        return -1;
    }

    sealed class Buffers
    {
        public byte[] Input = new byte[1 << 16];
        public readonly ArrayBufferWriter<byte> Output = new(1 << 16);
    }

    // ids and scores were checked before the parallel loop, so nothing in here throws on content
    static (string?, int) TagOne(string? id, string? text, double? score, TagPlan plan, Buffers b)
    {
        if (text is null) return (null, 0);
        if (score < plan.MinScore || text.Length == 0) return (text, 0);
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (b.Input.Length < max) b.Input = new byte[Math.Max(max, b.Input.Length * 2)];
        var length = Encoding.UTF8.GetBytes(text, b.Input);
        b.Output.ResetWrittenCount();
        var count = HarmfulnessTagger.Tag(b.Input.AsSpan(0, length), HarmfulnessTagger.DocumentKey(id!), plan, b.Output);
        // an untouched document keeps its string: no copy when nothing was inserted
        return (count == 0 ? text : Encoding.UTF8.GetString(b.Output.WrittenSpan), count);
    }
}
