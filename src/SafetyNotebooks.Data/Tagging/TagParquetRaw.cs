using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.ParquetRaw;

namespace SafetyNotebooks.Tagging;

/// <summary>What tagging one file on the byte-level path produced, or (in <see cref="Outcome"/>) why it fell back.</summary>
public sealed record RawTagFileResult(RewriteOutcome Outcome, long TaggedDocuments, long Tags, long TextChars)
{
    public long Rows => Outcome.Rows;
}

/// <summary>
/// The byte-level tagging path (issue 4's throughput goal): <see cref="ByteArrayColumnRewriter"/> with the tagger
/// passed in. Parquet.Net is only asked for the small <c>id</c> and score columns; each <c>text</c> value is tagged as
/// UTF-8 bytes with <see cref="HarmfulnessTagger.Tag(ReadOnlySpan{byte}, ulong, TagPlan, IBufferWriter{byte})"/>, and
/// the tag counts become the added <c>tag_count</c> column (optional int32). The output holds the same rows and values
/// as the general path's (<see cref="TagParquet"/>), the file's bytes differ.
/// </summary>
public static class TagParquetRaw
{
    /// <summary>What the byte-level path changes: <c>text</c>, and <c>tag_count</c> added (or replaced in place).</summary>
    public static readonly ColumnRewriteSpec Spec = new(Columns.Text, Columns.TagCount);

    /// <summary>
    /// Tags <paramref name="input"/> into <paramref name="target"/> (atomically), or says why the file needs the general
    /// path. Ids and scores come from Parquet.Net; they were validated before (<see cref="TagParquet.ValidateAsync"/>).
    /// Up to <paramref name="threads"/> row groups are tagged at once; the bytes do not depend on it.
    /// </summary>
    public static async Task<RawTagFileResult> TryTagFileAsync(string input, string target, TagPlan plan, string scoreField,
        int threads = 1, ConcurrentBag<RewriteBuffers>? pool = null, CancellationToken ct = default)
    {
        var groups = new List<TagRowGroup>();
        await using var idScores = ParquetFiles.ReadBatchesAsync(input, new ParquetReadOptions([Columns.Id, scoreField]), ct).GetAsyncEnumerator(ct);
        async ValueTask<IRowGroupRewrite> Prepare(RowGroupContext rowGroup, CancellationToken token)
        {
            // Parquet.Net reads the ids and scores of every row group, in order
            if (!await idScores.MoveNextAsync()) throw new InvalidDataException($"{input}: Parquet.Net reads fewer row groups than the footer lists");
            if (rowGroup.Rows == 0) return KeepValues.Instance;
            if (idScores.Current.RowCount != rowGroup.Rows) throw new InvalidDataException($"{input}: row group of {rowGroup.Rows} rows read as {idScores.Current.RowCount}");
            var group = TagRowGroup.Of(idScores.Current, scoreField, plan);
            groups.Add(group);
            return group;
        }
        var outcome = await ByteArrayColumnRewriter.TryRewriteAsync(input, target, Spec, Prepare, threads, pool, ct);
        return !outcome.Rewritten ? new RawTagFileResult(outcome, 0, 0, 0)
            : new RawTagFileResult(outcome, groups.Sum(g => g.TaggedDocuments), groups.Sum(g => g.Tags), groups.Sum(g => g.TextChars));
    }

    /// <summary>What happens to each row's text: copied, tagged (with its draw key), or an error when the text is present.</summary>
    enum RowAction : byte { Copy, Tag, MissingScore, MissingId }

    /// <summary>The tagging of one row group's texts: per row what to do, and the tag counts (the added column).</summary>
    sealed class TagRowGroup(RowAction[] actions, ulong[] keys, TagPlan plan) : IRowGroupRewrite
    {
        readonly int[] _counts = new int[actions.Length];

        public long TextChars { get; private set; }
        public long TaggedDocuments => _counts.Count(c => c > 0);
        public long Tags => _counts.Sum(c => (long)c);
        public ReadOnlySpan<int> AddedValues => _counts;

        public static TagRowGroup Of(ParquetBatch batch, string scoreField, TagPlan plan)
        {
            var ids = batch.Ids;
            var scores = TagParquet.Scores(batch.Column(scoreField).Values);
            var actions = new RowAction[batch.RowCount];
            var keys = new ulong[batch.RowCount];
            for (var i = 0; i < actions.Length; i++)
            {
                actions[i] = scores[i] is not { } s ? RowAction.MissingScore
                    : s < plan.MinScore ? RowAction.Copy
                    : ids[i] is not { } id ? RowAction.MissingId
                    : RowAction.Tag;
                if (actions[i] == RowAction.Tag) keys[i] = HarmfulnessTagger.DocumentKey(ids[i]!);
            }
            return new TagRowGroup(actions, keys, plan);
        }

        public ValueRewrite Rewrite(ReadOnlySpan<byte> text, int row, IBufferWriter<byte> output)
        {
            TextChars += Encoding.UTF8.GetCharCount(text);
            switch (actions[row])
            {
                case RowAction.Copy: return ValueRewrite.Unchanged;
                case RowAction.Tag:
                    _counts[row] = HarmfulnessTagger.Tag(text, keys[row], plan, output);
                    return _counts[row] > 0 ? ValueRewrite.Replaced : ValueRewrite.Unchanged;  // no tag: the text as it was
                case RowAction.MissingScore: throw new BadInputException($"row {row} of a row group: the safety score is missing");
                default: throw new BadInputException($"row {row} of a row group: the id is missing (tag draws are keyed by id)");
            }
        }
    }
}
