using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using T = SafetyNotebooks.Data.ParquetRaw.ParquetThrift;

namespace SafetyNotebooks.Data.ParquetRaw;

/// <summary>
/// One BYTE_ARRAY column chunk (optional, top level) rewritten page by page: dictionary pages are read, data pages
/// (v1 or v2, PLAIN or dictionary-encoded) decompressed, each present value passed to the row group's
/// <see cref="IRowGroupRewrite"/> and the page re-encoded as a PLAIN data page v1 with the chunk's codec. A PLAIN v1
/// page whose values all stay keeps its compressed bytes.
/// </summary>
static class ByteArrayChunkRewriter
{
    /// <summary>A page of the chunk: its header, type, sizes and (still compressed) body.</summary>
    readonly ref struct Page(TStruct header, int type, int uncompressedSize, ReadOnlySpan<byte> body)
    {
        public readonly TStruct Header = header;
        public readonly int Type = type, UncompressedSize = uncompressedSize;
        public readonly ReadOnlySpan<byte> Body = body;
    }

    /// <summary>A data page decoded: its value count and encoding, its definition levels and its (decompressed) values.</summary>
    readonly ref struct DataPage(int count, int encoding, ReadOnlySpan<byte> levels, ReadOnlySpan<byte> values)
    {
        public readonly int Count = count, Encoding = encoding;
        public readonly ReadOnlySpan<byte> Levels = levels, Values = values;
        public bool DictionaryEncoded => Encoding is T.EncodingRleDictionary or T.EncodingPlainDictionary;
    }

    /// <summary>
    /// Rewrites the chunk in <c>state.Chunk</c> (<paramref name="numRows"/> rows) into <c>state.Out</c>; returns its
    /// sizes with the page headers. <paramref name="column"/> names the column in messages.
    /// </summary>
    // called once per row group, too rarely for tiered compilation to optimise its loops: optimised from the start
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (long Uncompressed, long Compressed) Rewrite(RewriteBuffers state, PageCodec codec, string column, long numValues, int numRows, IRowGroupRewrite rewrite)
    {
        ReadOnlySpan<byte> data = state.Chunk.Written;
        state.Out.Clear();
        (int[] Starts, int[] Lengths)? dictionary = null;
        int pos = 0, row = 0;
        long uncompressed = 0, compressed = 0;
        while (pos < data.Length && row < numRows)
        {
            var page = PageAt(data, ref pos, column);
            switch (page.Type)
            {
                case T.PageDictionary: dictionary = ReadDictionary(state, codec, page); continue;
                case T.PageIndex: continue;
                case T.PageData or T.PageDataV2: break;
                default: throw new ParquetRawUnsupportedException($"page type {page.Type}");
            }
            var (u, c) = RewriteDataPage(state, codec, page, dictionary, column, numRows - row, row, rewrite, out var count);
            row += count;
            uncompressed += u;
            compressed += c;
        }
        if (row != numRows) throw new InvalidDataException($"the {column} column holds {row} values for {numRows} rows");
        if (numValues >= 0 && numValues != numRows) throw new InvalidDataException($"the {column} column's num_values {numValues} differs from its {numRows} rows");
        return (uncompressed, compressed);
    }

    static Page PageAt(ReadOnlySpan<byte> data, ref int pos, string column)
    {
        var header = ThriftCompact.Read(data, ref pos);
        var usize = header.I32(T.PageHeader.UncompressedPageSize) ?? -1;
        var csize = header.I32(T.PageHeader.CompressedPageSize) ?? -1;
        if (usize < 0 || csize < 0 || csize > data.Length - pos) throw new InvalidDataException($"{column} page sizes out of range");
        var page = new Page(header, header.I32(T.PageHeader.Type) ?? -1, usize, data.Slice(pos, csize));
        pos += csize;
        return page;
    }

    /// <summary>A dictionary page decompressed into <c>state.Dictionary</c>: where each value starts and how long it is.</summary>
    static (int[] Starts, int[] Lengths) ReadDictionary(RewriteBuffers state, PageCodec codec, Page page)
    {
        var dh = page.Header.Struct(T.PageHeader.DictionaryPageHeader) ?? throw new InvalidDataException("dictionary page without its header");
        if (dh.I32(T.DictionaryPageHeader.Encoding) is not (T.EncodingPlain or T.EncodingPlainDictionary))
            throw new ParquetRawUnsupportedException($"dictionary page encoding {dh.I32(T.DictionaryPageHeader.Encoding)}");
        Decompress(codec, page.Body, page.UncompressedSize, state.Dictionary);
        return PageHeaders.PlainByteArrays(state.Dictionary.Written, dh.I32(T.DictionaryPageHeader.NumValues) ?? 0);
    }

    /// <summary>One data page decoded, rewritten into <c>state.Plain</c> and written onto <c>state.Out</c>; returns its sizes.</summary>
    static (long Uncompressed, long Compressed) RewriteDataPage(RewriteBuffers state, PageCodec codec, Page page, (int[] Starts, int[] Lengths)? dictionary,
        string column, int rowsLeft, int firstRow, IRowGroupRewrite rewrite, out int count)
    {
        // definition levels go to the output page as they are (with v1's length prefix); values are decoded below
        state.Plain.Clear();
        state.Plain.Ensure(page.UncompressedSize + page.UncompressedSize / 8 + (1 << 16)); // room for the tags of a 5 % rate without regrowing
        var data = page.Type == T.PageData ? DecodeV1(state, codec, page) : DecodeV2(state, codec, page);
        count = data.Count;
        if (count < 0 || count > rowsLeft) throw new InvalidDataException($"a {column} page holds {count} values, more than the row group has rows");
        var present = DecodeLevels(state, data);
        if (!data.DictionaryEncoded && data.Encoding != T.EncodingPlain) throw new ParquetRawUnsupportedException($"{column} page encoding {data.Encoding}");
        var changed = data.DictionaryEncoded
            ? RewriteDictionaryValues(state, data, DecodeIndices(state, data, dictionary, present), firstRow, rewrite)
            : RewritePlainValues(state, data, firstRow, rewrite);
        // a PLAIN v1 page whose values all stay comes out as it went in: its compressed bytes are kept (no re-compression)
        return !changed && page.Type == T.PageData && !data.DictionaryEncoded && state.Plain.Length == page.UncompressedSize
            ? PageWriter.Write(page.Body, count, page.UncompressedSize, state.Out)
            : PageWriter.Write(state, codec, count, state.Out);
    }

    static DataPage DecodeV1(RewriteBuffers state, PageCodec codec, Page page)
    {
        var h = page.Header.Struct(T.PageHeader.DataPageHeader) ?? throw new InvalidDataException("data page without its header");
        if (h.I32(T.DataPageHeader.DefinitionLevelEncoding) != T.EncodingRle)
            throw new ParquetRawUnsupportedException($"definition level encoding {h.I32(T.DataPageHeader.DefinitionLevelEncoding)}");
        Decompress(codec, page.Body, page.UncompressedSize, state.Page);
        ReadOnlySpan<byte> bytes = state.Page.Written;
        if (bytes.Length < 4) throw new InvalidDataException("data page too short for its levels");
        var levelLength = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (levelLength < 0 || levelLength > bytes.Length - 4) throw new InvalidDataException("definition levels out of range");
        state.Plain.Write(bytes[..(4 + levelLength)]);
        return new DataPage(h.I32(T.DataPageHeader.NumValues) ?? -1, h.I32(T.DataPageHeader.Encoding) ?? -1, bytes.Slice(4, levelLength), bytes[(4 + levelLength)..]);
    }

    static DataPage DecodeV2(RewriteBuffers state, PageCodec codec, Page page)
    {
        var h = page.Header.Struct(T.PageHeader.DataPageHeaderV2) ?? throw new InvalidDataException("data page v2 without its header");
        var n = h.I32(T.DataPageHeaderV2.NumValues) ?? -1;
        var encoding = h.I32(T.DataPageHeaderV2.Encoding) ?? -1;
        var defLength = h.I32(T.DataPageHeaderV2.DefinitionLevelsByteLength) ?? -1;
        if ((h.I32(T.DataPageHeaderV2.RepetitionLevelsByteLength) ?? 0) != 0) throw new InvalidDataException("repetition levels in a top-level column");
        if (defLength < 0 || defLength > page.Body.Length || defLength > page.UncompressedSize) throw new InvalidDataException("definition levels out of range");
        var levels = page.Body[..defLength];
        state.Plain.WriteInt32(defLength);
        state.Plain.Write(levels);
        var packed = page.Body[defLength..];
        // v2 keeps levels outside the compression; values are compressed unless is_compressed says otherwise
        if (!(h.Bool(T.DataPageHeaderV2.IsCompressed) ?? true)) return new DataPage(n, encoding, levels, packed);
        Decompress(codec, packed, page.UncompressedSize - defLength, state.Page);
        return new DataPage(n, encoding, levels, state.Page.Written);
    }

    static void Decompress(PageCodec codec, ReadOnlySpan<byte> body, int size, ByteBuffer output)
    {
        output.Clear();
        codec.Decompress(body, output.GetSpan(size)[..size]);
        output.Advance(size);
    }

    /// <summary>The page's definition levels (bit width 1) into <c>state.Levels</c>; returns how many values are present.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int DecodeLevels(RewriteBuffers state, DataPage page)
    {
        if (state.Levels.Length < page.Count) state.Levels = new int[Math.Max(page.Count, 2 * state.Levels.Length)];
        var levels = state.Levels.AsSpan(0, page.Count);
        RleHybrid.Decode(page.Levels, 1, levels);
        var present = 0;
        foreach (var level in levels) present += level;
        return present;
    }

    /// <summary>The dictionary indices of the present values into <c>state.Indices</c>; returns the dictionary they index.</summary>
    static (int[] Starts, int[] Lengths) DecodeIndices(RewriteBuffers state, DataPage page, (int[] Starts, int[] Lengths)? dictionary, int present)
    {
        if (dictionary is not { } d) throw new InvalidDataException("dictionary-encoded page without a dictionary");
        if (present > 0 && page.Values.Length < 1) throw new InvalidDataException("dictionary indices without a bit width");
        if (state.Indices.Length < present) state.Indices = new int[Math.Max(present, 2 * state.Indices.Length)];
        if (present > 0) RleHybrid.Decode(page.Values[1..], page.Values[0], state.Indices.AsSpan(0, present));
        return d;
    }

    /// <summary>Each present PLAIN value rewritten onto <c>state.Plain</c>; returns whether any was replaced.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static bool RewritePlainValues(RewriteBuffers state, DataPage page, int firstRow, IRowGroupRewrite rewrite)
    {
        var levels = state.Levels;
        var values = page.Values;
        var (vpos, changed) = (0, false);
        for (var i = 0; i < page.Count; i++)
        {
            if (levels[i] == 0) continue;
            var len = PageHeaders.ReadLength(values, vpos);
            changed |= RewriteValue(state.Plain, values.Slice(vpos + 4, len), firstRow + i, rewrite);
            vpos += 4 + len;
        }
        return changed;
    }

    /// <summary>Each present dictionary-encoded value rewritten onto <c>state.Plain</c> (as PLAIN); returns whether any was replaced.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static bool RewriteDictionaryValues(RewriteBuffers state, DataPage page, (int[] Starts, int[] Lengths) dictionary, int firstRow, IRowGroupRewrite rewrite)
    {
        ReadOnlySpan<byte> values = state.Dictionary.Written;
        var (levels, indices) = (state.Levels, state.Indices);
        var (k, changed) = (0, false);
        for (var i = 0; i < page.Count; i++)
        {
            if (levels[i] == 0) continue;
            var index = indices[k++];
            if ((uint)index >= (uint)dictionary.Starts.Length) throw new InvalidDataException("dictionary index out of range");
            changed |= RewriteValue(state.Plain, values.Slice(dictionary.Starts[index], dictionary.Lengths[index]), firstRow + i, rewrite);
        }
        return changed;
    }

    /// <summary>One value as a length-prefixed PLAIN value: the rewrite's bytes, or the value itself when it stays.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool RewriteValue(ByteBuffer plain, ReadOnlySpan<byte> value, int row, IRowGroupRewrite rewrite)
    {
        var lengthAt = plain.Reserve(4);
        var before = plain.Length;
        var replaced = rewrite.Rewrite(value, row, plain) == ValueRewrite.Replaced;
        if (!replaced)
        {
            plain.Truncate(before);
            plain.Write(value);
        }
        plain.PatchInt32(lengthAt, plain.Length - before);
        return replaced;
    }
}
