namespace SafetyNotebooks.Data;

/// <summary>
/// One row of <c>locuslab/jb-completions</c> (PAPER.md §3.4): the harmful instruction, the beginning of a harmful
/// response that is fed to a base model as a raw prefix, and the dataset the behaviour came from.
/// </summary>
public sealed record JbCompletion(string OriginalBehavior, string CompletionBehavior, string SourceDataset);

/// <summary>Reads and writes jb-completions Parquet files (<c>original_behavior</c>, <c>completion_behavior</c>, <c>source_dataset</c>).</summary>
public static class JbCompletions
{
    public const string OriginalBehavior = "original_behavior";
    public const string CompletionBehavior = "completion_behavior";
    public const string SourceDataset = "source_dataset";

    /// <summary>Reads every row of a jb-completions file (990 rows for the released one).</summary>
    public static async Task<List<JbCompletion>> ReadAsync(string path, CancellationToken ct = default)
    {
        var required = new[] { OriginalBehavior, CompletionBehavior, SourceDataset }.Select(c => new RequiredColumn(c, typeof(string))).ToList();
        var rows = new List<JbCompletion>();
        await foreach (var b in ParquetFiles.ReadBatchesAsync(path, new ParquetReadOptions([OriginalBehavior, CompletionBehavior, SourceDataset], required), ct))
        {
            var (o, c, s) = (b.Strings(OriginalBehavior), b.Strings(CompletionBehavior), b.Strings(SourceDataset));
            for (var i = 0; i < b.RowCount; i++) rows.Add(new JbCompletion(o[i] ?? "", c[i] ?? "", s[i] ?? ""));
        }
        return rows;
    }

    /// <summary>Writes rows atomically in the released column layout.</summary>
    public static Task<long> WriteAsync(string path, IReadOnlyList<JbCompletion> rows, CancellationToken ct = default)
    {
        var batch = new ParquetBatch(
        [
            ParquetColumn.OfStrings(OriginalBehavior, rows.Select(r => (string?)r.OriginalBehavior).ToArray()),
            ParquetColumn.OfStrings(CompletionBehavior, rows.Select(r => (string?)r.CompletionBehavior).ToArray()),
            ParquetColumn.OfStrings(SourceDataset, rows.Select(r => (string?)r.SourceDataset).ToArray()),
        ], rows.Count);
        return ParquetFiles.WriteAsync(path, batch.Schema, new[] { batch }.ToAsyncEnumerable(), null, ct);
    }
}
