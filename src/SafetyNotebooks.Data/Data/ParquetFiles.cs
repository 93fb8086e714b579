using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Schema;

namespace SafetyNotebooks.Data;

/// <summary>A column a reader insists on: its dotted path and CLR type (string, long, …).</summary>
public sealed record RequiredColumn(string Path, Type ClrType);

/// <summary>How to read a Parquet file.</summary>
/// <param name="Columns">Column projection: dotted leaf paths or struct names (<c>metadata</c> = all its members); null = all columns.</param>
/// <param name="Required">Columns that must exist with the given type; otherwise <see cref="BadInputException"/> naming file and column.</param>
/// <param name="Optional">When true, columns in <see cref="Columns"/> that the file lacks are skipped instead of being an error.</param>
public sealed record ParquetReadOptions(IReadOnlyList<string>? Columns = null, IReadOnlyList<RequiredColumn>? Required = null, bool Optional = false);

/// <summary>Compression codecs offered for writing (Parquet.Net names).</summary>
public enum ParquetCompression { Snappy, Zstd, None }

/// <summary>How to write a Parquet file.</summary>
public sealed record ParquetWriteOptions(ParquetCompression Compression = ParquetCompression.Snappy)
{
    internal ParquetOptions ToParquet() => new()
    {
        CompressionMethod = Compression switch
        {
            ParquetCompression.Zstd => CompressionMethod.Zstd,
            ParquetCompression.None => CompressionMethod.None,
            _ => CompressionMethod.Snappy,
        },
    };
}

/// <summary>
/// Streaming Parquet I/O, one row group at a time (a whole file is never held in memory). Every failure caused by the
/// file's content — not Parquet, truncated, a missing or mistyped required column, an unreadable row group — is a
/// <see cref="BadInputException"/> whose message names the file, the row group and the column.
/// Writes are atomic: a temporary sibling is renamed when the last row group is written, and removed on failure.
/// </summary>
public static class ParquetFiles
{
    /// <summary>Reads the schema and row-group sizes without reading data.</summary>
    public static async Task<(ParquetSchema Schema, IReadOnlyList<long> RowGroupRows)> InspectAsync(string path, CancellationToken ct = default)
    {
        await using var reader = await OpenAsync(path, ct);
        var rows = Enumerable.Range(0, reader.RowGroupCount).Select(g => RowCount(reader, g)).ToList();
        return (reader.Schema, rows);
    }

    /// <summary>Streams the row groups of <paramref name="path"/> as batches, with optional projection and required columns.</summary>
    public static IAsyncEnumerable<ParquetBatch> ReadBatchesAsync(string path, ParquetReadOptions? options = null, CancellationToken ct = default) =>
        ReadBatchesAsync(path, 0, -1, options, ct);

    /// <summary>Streams row groups <paramref name="firstRowGroup"/> .. +<paramref name="rowGroups"/> (-1 = to the end): one shard unit of a large file.</summary>
    public static async IAsyncEnumerable<ParquetBatch> ReadBatchesAsync(string path, int firstRowGroup, int rowGroups, ParquetReadOptions? options,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        options ??= new ParquetReadOptions();
        await using var reader = await OpenAsync(path, ct);
        var fields = Select(path, reader.Schema, options);
        var end = rowGroups < 0 ? reader.RowGroupCount : Math.Min(reader.RowGroupCount, firstRowGroup + rowGroups);
        for (var g = firstRowGroup; g < end; g++)
        {
            ct.ThrowIfCancellationRequested();
            var rows = checked((int)RowCount(reader, g));
            var columns = new List<ParquetColumn>(fields.Count);
            using (var rg = reader.OpenRowGroupReader(g))
            {
                foreach (var f in fields)
                {
                    Array values;
                    try
                    {
                        values = await ParquetValues.ReadAsync(rg, f, rows, ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException and not BadInputException)
                    {
                        throw new BadInputException($"row group {g}, column '{Columns.DottedPath(f)}': cannot be read ({e.Message})", path, Columns.DottedPath(f), inner: e);
                    }
                    columns.Add(new ParquetColumn(Columns.DottedPath(f), f, values));
                }
            }
            yield return new ParquetBatch(columns, rows);
        }
    }

    /// <summary>Writes batches (each one row group) to <paramref name="path"/> atomically; every batch must have <paramref name="schema"/>'s leaves.</summary>
    /// <returns>The number of rows written.</returns>
    public static async Task<long> WriteAsync(string path, ParquetSchema schema, IAsyncEnumerable<ParquetBatch> batches,
        ParquetWriteOptions? options = null, CancellationToken ct = default)
    {
        long total = 0;
        await AtomicFile.WriteAsync(path, async stream =>
        {
            await using var writer = await ParquetWriter.CreateAsync(schema, stream, (options ?? new()).ToParquet(), false, ct);
            var leaves = schema.GetDataFields();
            var paths = leaves.Select(Columns.DottedPath).ToArray();
            await foreach (var batch in batches.WithCancellation(ct))
            {
                if (batch.RowCount == 0) continue;
                using var rg = writer.CreateRowGroup();
                for (var i = 0; i < leaves.Length; i++)
                {
                    var column = batch.Has(paths[i]) ? batch.Column(paths[i])
                        : throw new InvalidOperationException($"batch lacks column '{paths[i]}' of the output schema");
                    await ParquetValues.WriteAsync(rg, leaves[i], column.Values, ct);
                }
                if (batch.Columns.Count != leaves.Length)
                    throw new InvalidOperationException($"batch has columns the output schema lacks: {string.Join(", ", batch.Columns.Select(c => c.Path).Except(paths))}");
                total += batch.RowCount;
            }
        });
        return total;
    }

    /// <summary>Writes batches atomically, taking the schema from the first batch (<paramref name="emptySchema"/> when there is none).</summary>
    public static async Task<long> WriteAsync(string path, IAsyncEnumerable<ParquetBatch> batches, ParquetSchema emptySchema,
        ParquetWriteOptions? options = null, CancellationToken ct = default)
    {
        await using var e = batches.GetAsyncEnumerator(ct);
        var has = await e.MoveNextAsync();
        var schema = has ? e.Current.Schema : emptySchema;
        return await WriteAsync(path, schema, Rest(e, has), options, ct);

        static async IAsyncEnumerable<ParquetBatch> Rest(IAsyncEnumerator<ParquetBatch> e, bool has)
        {
            if (!has) yield break;
            yield return e.Current;
            while (await e.MoveNextAsync()) yield return e.Current;
        }
    }

    static long RowCount(ParquetReader reader, int g) => reader.RowGroups[g].RowCount;

    /// <summary>
    /// The footer read first by the toolkit's own bounded Thrift reader: Parquet.Net can loop for minutes on a damaged
    /// footer (a list length read from garbage), so a footer that does not parse never reaches it.
    /// </summary>
    static void CheckFooter(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path);
            ParquetRaw.ParquetFooter.Read(handle);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException)
        {
            throw new BadInputException($"not a Parquet file, or a truncated or damaged one ({e.Message})", path, "footer", inner: e);
        }
    }

    static async Task<ParquetReader> OpenAsync(string path, CancellationToken ct)
    {
        if (Directory.Exists(path)) throw new BadInputException("is a folder; a Parquet file is expected here", path);
        if (!File.Exists(path)) throw new BadInputException("file not found", path);
        CheckFooter(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: false);
        try
        {
            var reader = await ParquetReader.CreateAsync(stream, null, leaveStreamOpen: false, ct);
            var unsupported = reader.Schema.Fields.SelectMany(Flatten).FirstOrDefault(f => f.SchemaType is SchemaType.List or SchemaType.Map || f is DataField { IsArray: true });
            if (unsupported is not null)
            {
                await reader.DisposeAsync();
                throw new BadInputException("list and map columns are not supported (only flat columns and structs)", path, unsupported.Name);
            }
            return reader;
        }
        catch (Exception e) when (e is not OperationCanceledException and not BadInputException)
        {
            await stream.DisposeAsync(); // the reader does not own the stream when it fails to open
            throw new BadInputException($"not a Parquet file, or truncated ({e.Message})", path, inner: e);
        }
    }

    static IEnumerable<Field> Flatten(Field f) => f is StructField s ? s.Fields.SelectMany(Flatten).Prepend(f) : [f];

    static IReadOnlyList<DataField> Select(string path, ParquetSchema schema, ParquetReadOptions options)
    {
        var all = schema.GetDataFields();
        foreach (var req in options.Required ?? [])
        {
            var f = all.FirstOrDefault(x => Columns.DottedPath(x) == req.Path)
                ?? throw new BadInputException($"row group 0, column '{req.Path}': required column is missing (columns: {string.Join(", ", all.Select(Columns.DottedPath))})", path, req.Path);
            if (ParquetValues.LogicalType(f) != req.ClrType)
                throw new BadInputException($"row group 0, column '{req.Path}': has type {ParquetValues.LogicalType(f).Name}, expected {req.ClrType.Name}", path, req.Path);
        }
        if (options.Columns is null) return all;
        var chosen = new List<DataField>();
        foreach (var want in options.Columns)
        {
            var matches = all.Where(x => Columns.DottedPath(x) == want || Columns.DottedPath(x).StartsWith(want + ".", StringComparison.Ordinal)).ToList();
            if (matches.Count == 0 && !options.Optional)
                throw new BadInputException($"column '{want}' is missing (columns: {string.Join(", ", all.Select(Columns.DottedPath))})", path, want);
            chosen.AddRange(matches.Where(m => !chosen.Contains(m)));
        }
        // keep schema order so a projected batch writes back like the original
        return all.Where(chosen.Contains).ToList();
    }
}
