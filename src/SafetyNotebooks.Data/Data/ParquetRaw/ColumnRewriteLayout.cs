using T = SafetyNotebooks.Data.ParquetRaw.ParquetThrift;

namespace SafetyNotebooks.Data.ParquetRaw;

/// <summary>
/// Where the byte-level rewriter finds what it changes in one file: the rewritten column (index among the leaves) and,
/// for an added column, the leaf and schema element of an existing top-level leaf of its name (replaced in place) or
/// none (appended as the last column).
/// </summary>
public sealed record ColumnRewriteLayout(ParquetFooter Footer, ColumnRewriteSpec Spec, int ColumnLeaf, int? AddedLeaf, int? AddedElement)
{
    static readonly HashSet<int> ValueEncodings = [T.EncodingPlain, T.EncodingPlainDictionary, T.EncodingRle, T.EncodingRleDictionary];

    /// <summary>The layout of a file the byte-level path handles; <see cref="ParquetRawUnsupportedException"/> names what it does not.</summary>
    public static ColumnRewriteLayout Of(ParquetFooter footer, ColumnRewriteSpec spec)
    {
        var meta = footer.Metadata;
        if (meta.Has(T.FileMetaData.EncryptionAlgorithm)) throw Unsupported("encrypted columns");
        var schema = meta.List(T.FileMetaData.Schema)?.Items.Cast<TStruct>().ToList();
        if (schema is not { Count: > 0 }) throw Unsupported("no schema");
        var leaves = Leaves(schema);
        var column = leaves.FindIndex(l => l.Path == spec.Column);
        if (column < 0) throw Unsupported($"no top-level {spec.Column} column");
        var element = schema[leaves[column].Element];
        if (element.I32(T.SchemaElement.Type) != T.PhysicalByteArray || element.I32(T.SchemaElement.RepetitionType) != T.Optional)
            throw Unsupported($"{spec.Column} is not an optional BYTE_ARRAY column");
        var (addedLeaf, addedElement) = spec.AddedInt32Column is { } added ? AddedPlace(schema, leaves, added) : (null, null);
        foreach (var rg in RowGroups(meta)) CheckRowGroup(rg, footer, leaves.Count, column, spec.Column);
        return new ColumnRewriteLayout(footer, spec, column, addedLeaf, addedElement);
    }

    static ParquetRawUnsupportedException Unsupported(string reason) => new(reason);

    /// <summary>The leaves of the flattened schema, depth-first: schema element and dotted path.</summary>
    static List<(int Element, string Path)> Leaves(List<TStruct> schema)
    {
        var leaves = new List<(int Element, string Path)>();
        var pos = 1;
        for (var c = 0; c < (schema[0].I32(T.SchemaElement.NumChildren) ?? 0); c++) Walk(schema, ref pos, "", leaves);
        if (pos != schema.Count) throw Unsupported("the schema's child counts do not add up");
        return leaves;
    }

    // repeated fields (lists, maps) are left to the general path
    static void Walk(List<TStruct> schema, ref int pos, string prefix, List<(int, string)> leaves)
    {
        if (pos >= schema.Count) throw Unsupported("the schema ends early");
        var e = schema[pos];
        var path = prefix + e.String(T.SchemaElement.Name);
        if (e.I32(T.SchemaElement.RepetitionType) == T.Repeated) throw Unsupported($"repeated field '{path}'");
        var children = e.I32(T.SchemaElement.NumChildren) ?? 0;
        if (children == 0) leaves.Add((pos, path));
        pos++;
        for (var c = 0; c < children; c++) Walk(schema, ref pos, path + ".", leaves);
    }

    /// <summary>The leaf and element of an existing top-level column named <paramref name="name"/>, or none.</summary>
    static (int? Leaf, int? Element) AddedPlace(List<TStruct> schema, List<(int Element, string Path)> leaves, string name)
    {
        var top = TopLevel(schema).FirstOrDefault(t => schema[t].String(T.SchemaElement.Name) == name, -1);
        if (top < 0) return (null, null);
        if ((schema[top].I32(T.SchemaElement.NumChildren) ?? 0) > 0) throw Unsupported($"{name} is a struct");
        return (leaves.FindIndex(l => l.Element == top), top);
    }

    static IEnumerable<int> TopLevel(List<TStruct> schema)
    {
        var pos = 1;
        for (var c = 0; c < (schema[0].I32(T.SchemaElement.NumChildren) ?? 0) && pos < schema.Count; c++)
        {
            yield return pos;
            pos = Skip(schema, pos);
        }
    }

    static int Skip(List<TStruct> schema, int pos)
    {
        var children = schema[pos].I32(T.SchemaElement.NumChildren) ?? 0;
        pos++;
        for (var c = 0; c < children; c++) pos = Skip(schema, pos);
        return pos;
    }

    static void CheckRowGroup(TStruct rg, ParquetFooter footer, int leafCount, int column, string name)
    {
        var columns = rg.List(T.RowGroup.Columns)?.Items.Cast<TStruct>().ToList() ?? [];
        if (columns.Count != leafCount) throw Unsupported("a row group's column count differs from the schema's");
        foreach (var chunk in columns)
        {
            if (chunk.Has(T.ColumnChunk.FilePath)) throw Unsupported("column chunks in another file");
            if (chunk.Has(T.ColumnChunk.CryptoMetadata) || chunk.Has(T.ColumnChunk.EncryptedColumnMetadata)) throw Unsupported("encrypted columns");
            if (chunk.Struct(T.ColumnChunk.MetaData) is not { } cm) throw Unsupported("a column chunk without metadata");
            var (start, length) = ChunkRange(cm);
            if (start < 4 || length < 0 || start + length > footer.MetadataOffset) throw Unsupported("a column chunk lies outside the data");
        }
        var tm = columns[column].Struct(T.ColumnChunk.MetaData)!;
        if (tm.I32(T.ColumnMetaData.Codec) is not { } codec || !PageCodec.IsSupported(codec))
            throw Unsupported($"{name} column codec {tm.I32(T.ColumnMetaData.Codec)} (handled: uncompressed, snappy, zstd)");
        var encodings = tm.List(T.ColumnMetaData.Encodings)?.Items.Select(e => ((TI32)e).Value).ToList() ?? [];
        if (encodings.FirstOrDefault(e => !ValueEncodings.Contains(e), -1) is var bad and >= 0)
            throw Unsupported($"{name} column encoding {bad} (handled: PLAIN, dictionary, RLE levels)");
    }

    internal static IEnumerable<TStruct> RowGroups(TStruct meta) => meta.List(T.FileMetaData.RowGroups)?.Items.Cast<TStruct>() ?? [];

    /// <summary>A column chunk's bytes: from its dictionary page (when it has one) for total_compressed_size bytes.</summary>
    public static (long Start, long Length) ChunkRange(TStruct cm)
    {
        var data = cm.I64(T.ColumnMetaData.DataPageOffset) ?? -1;
        var start = cm.I64(T.ColumnMetaData.DictionaryPageOffset) is { } d && d > 0 && d < data ? d : data;
        return (start, cm.I64(T.ColumnMetaData.TotalCompressedSize) ?? -1);
    }
}
