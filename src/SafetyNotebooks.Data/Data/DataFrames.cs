using Microsoft.Data.Analysis;

namespace SafetyNotebooks.Data;

/// <summary>Microsoft.Data.Analysis bridge for notebooks: the first rows of a file or of documents, chosen columns.</summary>
public static class DataFrames
{
    /// <summary>The first <paramref name="rows"/> rows of a Parquet file as a DataFrame (null = every column; dotted paths or struct names).</summary>
    public static async Task<DataFrame> HeadAsync(string path, int rows = 20, IReadOnlyList<string>? columns = null, CancellationToken ct = default)
    {
        var batches = new List<ParquetBatch>();
        var have = 0;
        await foreach (var b in ParquetFiles.ReadBatchesAsync(path, new ParquetReadOptions(columns), ct))
        {
            var take = Math.Min(b.RowCount, rows - have);
            batches.Add(take == b.RowCount ? b : b.Take(Enumerable.Range(0, take).ToArray()));
            have += take;
            if (have >= rows) break;
        }
        if (batches.Count == 0)
        {
            var (schema, _) = await ParquetFiles.InspectAsync(path, ct);
            var empty = ParquetBatch.Empty(schema);
            return FromBatch(columns is null ? empty : empty.Without(empty.Columns.Select(c => c.Path).Where(p => !columns.Any(w => p == w || p.StartsWith(w + "."))).ToArray()));
        }
        return FromBatches(batches);
    }

    /// <summary>One DataFrame column per batch column (strings, numbers, booleans and dates keep their type).</summary>
    public static DataFrame FromBatch(ParquetBatch batch) => FromBatches([batch]);

    static DataFrame FromBatches(IReadOnlyList<ParquetBatch> batches)
    {
        var first = batches[0];
        var frame = new DataFrame();
        foreach (var c in first.Columns)
        {
            var values = batches.SelectMany(b => b.Column(c.Path).Values.Cast<object?>()).ToList();
            frame.Columns.Add(ToColumn(c.Path, ParquetValues.LogicalType(c.Field), values));
        }
        return frame;
    }

    /// <summary>The first <paramref name="rows"/> documents as a DataFrame with the given columns (default: id, safety_score, text).</summary>
    public static DataFrame FromDocuments(IEnumerable<Document> docs, int rows = 20, params string[] columns)
    {
        var list = docs.Take(rows).ToList();
        var batch = Documents.ToBatch(list);
        var wanted = columns.Length == 0 ? [Columns.Id, Columns.SafetyScore, Columns.Text] : columns;
        return FromBatch(new ParquetBatch(wanted.SelectMany(w => batch.Columns.Where(c => c.Path == w || c.Path.StartsWith(w + "."))).ToList(), batch.RowCount));
    }

    static DataFrameColumn ToColumn(string name, Type type, List<object?> v)
    {
        if (type == typeof(string)) return new StringDataFrameColumn(name, v.Select(x => (string?)x));
        if (type == typeof(double)) return new DoubleDataFrameColumn(name, v.Select(x => (double?)x));
        if (type == typeof(float)) return new SingleDataFrameColumn(name, v.Select(x => (float?)x));
        if (type == typeof(long)) return new Int64DataFrameColumn(name, v.Select(x => (long?)x));
        if (type == typeof(int)) return new Int32DataFrameColumn(name, v.Select(x => (int?)x));
        if (type == typeof(bool)) return new BooleanDataFrameColumn(name, v.Select(x => (bool?)x));
        if (type == typeof(DateTime)) return new PrimitiveDataFrameColumn<DateTime>(name, v.Select(x => (DateTime?)x));
        return new StringDataFrameColumn(name, v.Select(x => x switch { null => null, byte[] b => Convert.ToHexString(b), _ => Convert.ToString(x, System.Globalization.CultureInfo.InvariantCulture) }));
    }
}
