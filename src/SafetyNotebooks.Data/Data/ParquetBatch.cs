using Parquet.Schema;

namespace SafetyNotebooks.Data;

/// <summary>
/// One leaf column of a <see cref="ParquetBatch"/>: its dotted path (<c>text</c>, <c>metadata.url</c>), its Parquet
/// field, and one value per row. <see cref="Values"/> is <c>string?[]</c> for strings, <c>byte[]?[]</c> for binary,
/// <c>T?[]</c> for an optional value column and <c>T[]</c> for a required one.
/// </summary>
public sealed record ParquetColumn(string Path, DataField Field, Array Values)
{
    /// <summary>A new optional top-level (or struct member, by dotted path) string column.</summary>
    public static ParquetColumn OfStrings(string path, string?[] values) =>
        new(path, new DataField<string>(LeafName(path), true), values);

    /// <summary>A new optional value column (<c>int?</c>, <c>long?</c>, <c>double?</c>, …).</summary>
    public static ParquetColumn OfValues<T>(string path, T?[] values) where T : struct =>
        new(path, new DataField<T?>(LeafName(path), true), values);

    internal static string LeafName(string path) => path[(path.LastIndexOf('.') + 1)..];
}

/// <summary>
/// One row group of a Parquet file held in memory: the schema and one array per leaf column. This is the unit of work
/// of <see cref="ParquetFiles"/> and <see cref="ShardJob"/>: a transform gets a batch and returns a batch, typically the
/// same batch with a column added or replaced (<see cref="With(string, string?[])"/>), so every other column passes
/// through unchanged. Batches are immutable: every "With"/"Without"/"Take" returns a new batch sharing the untouched
/// column arrays.
/// </summary>
public sealed class ParquetBatch
{
    readonly Dictionary<string, ParquetColumn> _byPath;

    /// <summary>The schema the columns belong to (columns are in its leaf order).</summary>
    public ParquetSchema Schema { get; }

    /// <summary>Leaf columns in schema order.</summary>
    public IReadOnlyList<ParquetColumn> Columns { get; }

    /// <summary>Number of rows in every column.</summary>
    public int RowCount { get; }

    /// <summary>Builds a batch from columns (any order of nesting: a dotted path creates or joins a struct). All columns must have <paramref name="rowCount"/> values.</summary>
    public ParquetBatch(IReadOnlyList<ParquetColumn> columns, int rowCount)
    {
        foreach (var c in columns)
            if (c.Values.Length != rowCount)
                throw new ArgumentException($"column '{c.Path}' has {c.Values.Length} values, expected {rowCount}");
        var (schema, ordered) = SchemaTree.Build(columns);
        Schema = schema;
        Columns = ordered;
        RowCount = rowCount;
        _byPath = ordered.ToDictionary(c => c.Path, StringComparer.Ordinal);
    }

    /// <summary>An empty batch (zero rows) with the leaves of <paramref name="schema"/>.</summary>
    public static ParquetBatch Empty(ParquetSchema schema) =>
        new(schema.GetDataFields().Select(f => new ParquetColumn(Data.Columns.DottedPath(f), f, ParquetValues.NewArray(f, 0))).ToList(), 0);

    /// <summary>True when a leaf column with this dotted path exists.</summary>
    public bool Has(string path) => _byPath.ContainsKey(path);

    /// <summary>The column at a dotted path; <see cref="KeyNotFoundException"/> naming the available columns otherwise.</summary>
    public ParquetColumn Column(string path) =>
        _byPath.TryGetValue(path, out var c) ? c
        : throw new KeyNotFoundException($"no column '{path}' (columns: {string.Join(", ", _byPath.Keys)})");

    /// <summary>The values of a string column.</summary>
    public string?[] Strings(string path) => Column(path).Values as string?[]
        ?? throw new InvalidCastException($"column '{path}' is {ParquetValues.LogicalType(Column(path).Field).Name}, not string");

    /// <summary>The values of a value-type column as nullable values (a required column is converted).</summary>
    public T?[] Values<T>(string path) where T : struct => Column(path).Values switch
    {
        T?[] nullable => nullable,
        T[] required => Array.ConvertAll(required, v => (T?)v),
        _ => throw new InvalidCastException($"column '{path}' is {ParquetValues.LogicalType(Column(path).Field).Name}, not {typeof(T).Name}"),
    };

    /// <summary>An integer column (int32 or int64 in the file, e.g. <c>safety_score</c> or <c>metadata.int_score</c>) as <c>int?</c> values.</summary>
    public int?[] Int32s(string path) => Column(path).Values switch
    {
        int?[] a => a,
        int[] a => Array.ConvertAll(a, v => (int?)v),
        long?[] a => Array.ConvertAll(a, v => v is { } x ? checked((int)x) : (int?)null),
        long[] a => Array.ConvertAll(a, v => (int?)checked((int)v)),
        _ => throw new InvalidCastException($"column '{path}' is {ParquetValues.LogicalType(Column(path).Field).Name}, not an integer"),
    };

    /// <summary>The <c>id</c> column.</summary>
    public string?[] Ids => Strings(Data.Columns.Id);

    /// <summary>The <c>text</c> column.</summary>
    public string?[] Texts => Strings(Data.Columns.Text);

    /// <summary>This batch with <paramref name="column"/> replacing the column of the same path, or added at the end (of its struct).</summary>
    public ParquetBatch With(ParquetColumn column)
    {
        var list = Columns.ToList();
        var i = list.FindIndex(c => c.Path == column.Path);
        if (i >= 0) list[i] = column; else list.Add(column);
        return new ParquetBatch(list, RowCount);
    }

    /// <summary>This batch with an optional string column set (replaced or added).</summary>
    public ParquetBatch With(string path, string?[] values) => With(ParquetColumn.OfStrings(path, values));

    /// <summary>This batch with an optional value column set (replaced or added).</summary>
    public ParquetBatch With<T>(string path, T?[] values) where T : struct => With(ParquetColumn.OfValues(path, values));

    /// <summary>This batch without the given leaf columns (a struct name removes all its members).</summary>
    public ParquetBatch Without(params string[] paths) =>
        new(Columns.Where(c => !paths.Any(p => c.Path == p || c.Path.StartsWith(p + ".", StringComparison.Ordinal))).ToList(), RowCount);

    /// <summary>Only the given rows, in the given order (filtering and reordering).</summary>
    public ParquetBatch Take(IReadOnlyList<int> rows) =>
        new(Columns.Select(c => c with { Values = ParquetValues.Take(c.Values, rows) }).ToList(), rows.Count);

    /// <summary>Only the rows for which <paramref name="keep"/> is true.</summary>
    public ParquetBatch Where(Func<int, bool> keep) => Take(Enumerable.Range(0, RowCount).Where(keep).ToArray());

    /// <summary>Total UTF-16 characters of the <c>text</c> column (0 when absent).</summary>
    public long TextChars => Has(Data.Columns.Text) ? Texts.Sum(t => (long)(t?.Length ?? 0)) : 0;
}

/// <summary>Builds Parquet schemas from dotted leaf paths, so batches can add members to structs.</summary>
static class SchemaTree
{
    public static (ParquetSchema, IReadOnlyList<ParquetColumn>) Build(IReadOnlyList<ParquetColumn> columns)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in columns)
            if (!seen.Add(c.Path)) throw new ArgumentException($"duplicate column '{c.Path}'");
        var root = new Node("");
        foreach (var c in columns) root.Add(c.Path.Split('.'), 0, c);
        var fields = root.Children.Select(n => n.ToField()).ToArray();
        var schema = new ParquetSchema(fields);
        var leaves = schema.GetDataFields();
        var ordered = root.Leaves().Select((c, i) => c with { Field = leaves[i] }).ToList();
        return (schema, ordered);
    }

    sealed class Node(string name)
    {
        public string Name { get; } = name;
        public List<Node> Children { get; } = [];
        public ParquetColumn? Leaf { get; private set; }

        public void Add(string[] parts, int depth, ParquetColumn column)
        {
            var child = Children.Find(n => n.Name == parts[depth]);
            if (child is null) Children.Add(child = new Node(parts[depth]));
            if (depth == parts.Length - 1)
            {
                if (child.Children.Count > 0) throw new ArgumentException($"'{column.Path}' is a struct");
                child.Leaf = column;
            }
            else
            {
                if (child.Leaf is not null) throw new ArgumentException($"'{string.Join('.', parts[..(depth + 1)])}' is not a struct");
                child.Add(parts, depth + 1, column);
            }
        }

        public Field ToField() => Leaf is { } leaf
            ? Rename(leaf.Field, Name)
            : new StructField(Name, Children.Select(n => n.ToField()).ToArray());

        public IEnumerable<ParquetColumn> Leaves() =>
            Leaf is { } l ? [l] : Children.SelectMany(c => c.Leaves());

        // A field object belongs to one schema (its path and levels are set when the schema is built), so copy it.
        static DataField Rename(DataField f, string name) => f switch
        {
            DateTimeDataField d => new DateTimeDataField(name, d.DateTimeFormat, d.IsAdjustedToUTC, d.Unit, d.IsNullable, d.IsArray),
            DecimalDataField m => new DecimalDataField(name, m.Precision, m.Scale, m.ForceByteArrayEncoding, m.IsNullable, m.IsArray),
            _ => new DataField(name, ParquetValues.LogicalType(f), f.IsNullable, f.IsArray),
        };
    }
}
