using T = SafetyNotebooks.Data.ParquetRaw.ParquetThrift;

namespace SafetyNotebooks.Data.ParquetRaw;

/// <summary>
/// The int32 column a rewrite adds (<see cref="ColumnRewriteSpec.AddedInt32Column"/>): optional as Parquet.Net writes
/// it, every row defined, one PLAIN page per row group.
/// </summary>
static class AddedInt32Column
{
    /// <summary>One row group's values as one PLAIN page (every row defined) in <c>state.Added</c>; returns its sizes with the header.</summary>
    internal static (long Uncompressed, long Compressed) EncodePage(RewriteBuffers state, PageCodec codec, ReadOnlySpan<int> values)
    {
        state.Added.Clear();
        state.Plain.Clear();
        var lengthAt = state.Plain.Reserve(4);
        RleHybrid.WriteRun(state.Plain, values.Length, 1);
        state.Plain.PatchInt32(lengthAt, state.Plain.Length - 4);
        foreach (var v in values) state.Plain.WriteInt32(v);
        return PageWriter.Write(state, codec, values.Length, state.Added);
    }

    /// <summary>The footer entry of the column's chunk written at <paramref name="offset"/>.</summary>
    internal static TStruct Chunk(string name, int codec, int rows, (long Uncompressed, long Compressed) sizes, long offset)
    {
        var meta = new TStruct([
            new(T.ColumnMetaData.Type, new TI32(T.PhysicalInt32)),
            new(T.ColumnMetaData.Encodings, new TList(TType.I32, [new TI32(T.EncodingPlain), new TI32(T.EncodingRle)])),
            new(T.ColumnMetaData.PathInSchema, new TList(TType.Binary, [TBinary.Of(name)])),
            new(T.ColumnMetaData.Codec, new TI32(codec)),
            new(T.ColumnMetaData.NumValues, new TI64(rows)),
            new(T.ColumnMetaData.TotalUncompressedSize, new TI64(sizes.Uncompressed)),
            new(T.ColumnMetaData.TotalCompressedSize, new TI64(sizes.Compressed)),
            new(T.ColumnMetaData.DataPageOffset, new TI64(offset)),
        ]);
        return new TStruct([new(T.ColumnChunk.FileOffset, new TI64(offset)), new(T.ColumnChunk.MetaData, meta)]);
    }

    /// <summary>The schema element Parquet.Net writes for an optional int32 column.</summary>
    internal static TStruct SchemaElement(string name) => new([
        new(T.SchemaElement.Type, new TI32(T.PhysicalInt32)),
        new(T.SchemaElement.RepetitionType, new TI32(T.Optional)),
        new(T.SchemaElement.Name, TBinary.Of(name)),
        new(T.SchemaElement.ConvertedType, new TI32(17)),  // INT_32
        new(T.SchemaElement.LogicalType, new TStruct([new(10, new TStruct([new(1, new TByte(32)), new(2, new TBool(true))]))])), // INTEGER(32, signed)
    ]);
}
