using System.Runtime.CompilerServices;
using Parquet.Schema;

namespace SafetyNotebooks.Data;

/// <summary>How <see cref="Documents"/> writes a file.</summary>
/// <param name="RowGroupSize">Rows per row group (HF datasets and pyarrow read any size; ~10k keeps memory small).</param>
/// <param name="Compression">Snappy (default, like the Hub) or zstd.</param>
/// <param name="IncludeToolkitColumns">When false only the released columns (<c>id</c>, <c>text</c>, <c>metadata</c>) are written.</param>
public sealed record DocumentWriteOptions(int RowGroupSize = 10_000, ParquetCompression Compression = ParquetCompression.Snappy, bool IncludeToolkitColumns = true);

/// <summary>
/// <see cref="Document"/> streams over Parquet files in the released schema: read any released shard (extra columns are
/// ignored, the toolkit columns are read when present) and write documents with the released columns plus the toolkit's
/// optional columns.
/// </summary>
public static class Documents
{
    /// <summary>Columns a document file must have.</summary>
    public static IReadOnlyList<RequiredColumn> RequiredColumns { get; } =
        [new(Columns.Id, typeof(string)), new(Columns.Text, typeof(string))];

    static readonly Dictionary<string, Type[]> KnownTypes = new()
    {
        ["metadata.dump"] = [typeof(string)], ["metadata.url"] = [typeof(string)], ["metadata.date"] = [typeof(DateTime), typeof(string)],
        ["metadata.file_path"] = [typeof(string)], ["metadata.language"] = [typeof(string)],
        ["metadata.language_score"] = [typeof(double), typeof(float)], ["metadata.token_count"] = [typeof(long), typeof(int)],
        ["metadata.score"] = [typeof(double), typeof(float)], ["metadata.int_score"] = [typeof(long), typeof(int)],
        [Columns.SafetyScore] = [typeof(int), typeof(long)], [Columns.SafetyScoreSource] = [typeof(string)],
        [Columns.SafetyReason] = [typeof(string)], [Columns.TagCount] = [typeof(int), typeof(long)],
    };

    /// <summary>The projection that reads a document file: id, text and the known optional columns.</summary>
    public static ParquetReadOptions ReadOptions { get; } = new([Columns.Id, Columns.Text, .. KnownTypes.Keys], RequiredColumns, Optional: true);

    /// <summary>Streams the documents of one Parquet file, one row group in memory at a time.</summary>
    public static async IAsyncEnumerable<Document> ReadAsync(string path, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var batch in ParquetFiles.ReadBatchesAsync(path, ReadOptions, ct))
            foreach (var d in FromBatch(batch, path)) yield return d;
    }

    /// <summary>Streams the documents of several files in order.</summary>
    public static async IAsyncEnumerable<Document> ReadAllAsync(IEnumerable<string> paths, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var p in paths)
            await foreach (var d in ReadAsync(p, ct)) yield return d;
    }

    /// <summary>Reads a whole file into a list (for tests and small toy corpora).</summary>
    public static async Task<List<Document>> ReadListAsync(string path, CancellationToken ct = default)
    {
        var list = new List<Document>();
        await foreach (var d in ReadAsync(path, ct)) list.Add(d);
        return list;
    }

    /// <summary>Converts one batch to documents. Checks the known columns' types; a null id/text is bad input.</summary>
    public static IReadOnlyList<Document> FromBatch(ParquetBatch batch, string origin = "batch")
    {
        foreach (var c in batch.Columns)
            if (KnownTypes.TryGetValue(c.Path, out var types) && !types.Contains(ParquetValues.LogicalType(c.Field)))
                throw new BadInputException($"column '{c.Path}': has type {ParquetValues.LogicalType(c.Field).Name}, expected {types[0].Name}", origin, c.Path);
        var ids = batch.Ids;
        var texts = batch.Texts;
        string?[]? S(string p) => batch.Has(p) ? batch.Strings(p) : null;
        double?[]? D(string p) => !batch.Has(p) ? null : ParquetValues.LogicalType(batch.Column(p).Field) == typeof(float)
            ? batch.Values<float>(p).Select(v => (double?)v).ToArray() : batch.Values<double>(p);
        long?[]? L(string p) => !batch.Has(p) ? null : ParquetValues.LogicalType(batch.Column(p).Field) == typeof(int)
            ? batch.Values<int>(p).Select(v => (long?)v).ToArray() : batch.Values<long>(p);
        DateTime?[]? T(string p) => !batch.Has(p) ? null : ParquetValues.LogicalType(batch.Column(p).Field) == typeof(string)
            ? batch.Strings(p).Select(s => DateTime.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal, out var t) ? t : (DateTime?)null).ToArray()
            : batch.Values<DateTime>(p);

        var hasMeta = batch.Columns.Any(c => c.Path.StartsWith(Columns.Metadata + ".", StringComparison.Ordinal));
        var dump = S("metadata.dump"); var url = S("metadata.url"); var date = T("metadata.date"); var file = S("metadata.file_path");
        var lang = S("metadata.language"); var langScore = D("metadata.language_score"); var tokens = L("metadata.token_count");
        var score = D("metadata.score"); var intScore = L("metadata.int_score");
        var safety = L(Columns.SafetyScore); var source = S(Columns.SafetyScoreSource); var reason = S(Columns.SafetyReason); var tags = L(Columns.TagCount);

        var docs = new Document[batch.RowCount];
        for (var i = 0; i < docs.Length; i++)
        {
            var id = ids[i] ?? throw new BadInputException($"row {i}: id is null", origin, Columns.Id);
            var text = texts[i] ?? throw new BadInputException($"row {i}: text is null", origin, Columns.Text);
            var meta = hasMeta
                ? new DocumentMetadata(dump?[i], url?[i], date?[i], file?[i], lang?[i], langScore?[i], tokens?[i], score?[i], intScore?[i])
                : null;
            docs[i] = new Document(id, text, meta, (int?)safety?[i], source?[i], reason?[i], (int?)tags?[i]);
        }
        return docs;
    }

    /// <summary>Converts documents to one batch in <see cref="Columns.Toolkit"/> (or <see cref="Columns.Released"/>) layout.</summary>
    public static ParquetBatch ToBatch(IReadOnlyList<Document> docs, bool includeToolkitColumns = true)
    {
        var schema = includeToolkitColumns ? Columns.Toolkit() : Columns.Released();
        var m = docs.Select(d => d.Metadata ?? Empty).ToArray();
        var values = new Dictionary<string, Array>
        {
            [Columns.Id] = docs.Select(d => (string?)d.Id).ToArray(),
            [Columns.Text] = docs.Select(d => (string?)d.Text).ToArray(),
            ["metadata.dump"] = m.Select(x => x.Dump).ToArray(),
            ["metadata.url"] = m.Select(x => x.Url).ToArray(),
            ["metadata.date"] = m.Select(x => x.Date).ToArray(),
            ["metadata.file_path"] = m.Select(x => x.FilePath).ToArray(),
            ["metadata.language"] = m.Select(x => x.Language).ToArray(),
            ["metadata.language_score"] = m.Select(x => x.LanguageScore).ToArray(),
            ["metadata.token_count"] = m.Select(x => x.TokenCount).ToArray(),
            ["metadata.score"] = m.Select(x => x.Score).ToArray(),
            ["metadata.int_score"] = m.Select(x => x.IntScore).ToArray(),
            [Columns.SafetyScore] = docs.Select(d => d.SafetyScore).ToArray(),
            [Columns.SafetyScoreSource] = docs.Select(d => d.SafetyScoreSource).ToArray(),
            [Columns.SafetyReason] = docs.Select(d => d.SafetyReason).ToArray(),
            [Columns.TagCount] = docs.Select(d => d.TagCount).ToArray(),
        };
        return new ParquetBatch(schema.GetDataFields().Select(f => new ParquetColumn(Columns.DottedPath(f), f, values[Columns.DottedPath(f)])).ToList(), docs.Count);
    }

    static readonly DocumentMetadata Empty = new();

    /// <summary>Writes documents to <paramref name="path"/> atomically, <see cref="DocumentWriteOptions.RowGroupSize"/> rows per row group.</summary>
    /// <returns>The number of documents written.</returns>
    public static Task<long> WriteAsync(string path, IAsyncEnumerable<Document> docs, DocumentWriteOptions? options = null, CancellationToken ct = default)
    {
        var o = options ?? new DocumentWriteOptions();
        if (o.RowGroupSize < 1) throw new BadInputException("must be at least 1", "row group size", value: o.RowGroupSize.ToString());
        var schema = o.IncludeToolkitColumns ? Columns.Toolkit() : Columns.Released();
        return ParquetFiles.WriteAsync(path, schema, Chunk(docs, o, ct), new ParquetWriteOptions(o.Compression), ct);

        static async IAsyncEnumerable<ParquetBatch> Chunk(IAsyncEnumerable<Document> docs, DocumentWriteOptions o, [EnumeratorCancellation] CancellationToken ct)
        {
            var buffer = new List<Document>(o.RowGroupSize);
            await foreach (var d in docs.WithCancellation(ct))
            {
                buffer.Add(d);
                if (buffer.Count == o.RowGroupSize)
                {
                    yield return ToBatch(buffer, o.IncludeToolkitColumns);
                    buffer = new List<Document>(o.RowGroupSize);
                }
            }
            if (buffer.Count > 0) yield return ToBatch(buffer, o.IncludeToolkitColumns);
        }
    }

    /// <summary>Writes an in-memory sequence of documents.</summary>
    public static Task<long> WriteAsync(string path, IEnumerable<Document> docs, DocumentWriteOptions? options = null, CancellationToken ct = default) =>
        WriteAsync(path, docs.ToAsyncEnumerable(), options, ct);

    /// <summary>The conventional shard path <c>{config}/{split}/{nnnnn}.parquet</c> under <paramref name="root"/>.</summary>
    public static string ShardPath(string root, string config, string split, int index) =>
        Path.Combine(root, config, split, $"{index:D5}.parquet");
}
