using System.Buffers;
using System.Collections.Concurrent;
using System.Buffers.Binary;
using System.Text;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.ParquetRaw;
using T = SafetyNotebooks.Data.ParquetRaw.ParquetThrift;

namespace SafetyNotebooks.Tagging;

/// <summary>
/// Where the byte-level path finds what it rewrites: the <c>text</c> leaf (index among the leaves), the schema element
/// of an existing top-level <c>tag_count</c> leaf (replaced in place) or none (appended as the last column).
/// </summary>
public sealed record RawTagLayout(ParquetFooter Footer, int TextLeaf, int? TagCountLeaf, int? TagCountElement);

/// <summary>What tagging one file on the byte-level path produced.</summary>
public sealed record RawTagFileResult(long Rows, long TaggedDocuments, long Tags, long TextChars);

/// <summary>
/// The byte-level tagging path (issue 4's throughput goal): Parquet.Net is only asked for the small <c>id</c> and score
/// columns. Every other column chunk is copied as it is (compressed pages untouched, offsets shifted in the footer); the
/// <c>text</c> chunk's pages are decompressed, each value tagged as UTF-8 bytes with
/// <see cref="HarmfulnessTagger.Tag(ReadOnlySpan{byte}, ulong, TagPlan, IBufferWriter{byte})"/> and re-encoded as
/// PLAIN data pages v1 with the input's codec; <c>tag_count</c> (optional int32) is written as one PLAIN page per
/// row group. The output holds the same rows and values as the general path's (<see cref="TagParquet"/>), the file's
/// bytes differ. Inputs it does not handle are reported by <see cref="Analyze"/> (or, for what only the pages show,
/// by <see cref="ParquetRawUnsupportedException"/>) so that the caller falls back to the general path.
/// </summary>
public static class TagParquetRaw
{
    static readonly HashSet<int> TextEncodings = [T.EncodingPlain, T.EncodingPlainDictionary, T.EncodingRle, T.EncodingRleDictionary];

    /// <summary>The layout of a supported file, or why the file needs the general path.</summary>
    public static (RawTagLayout? Layout, string? Reason) Analyze(ParquetFooter footer)
    {
        var meta = footer.Metadata;
        if (meta.Has(T.FileMetaData.EncryptionAlgorithm)) return (null, "encrypted columns");
        var schema = meta.List(T.FileMetaData.Schema)?.Items.Cast<TStruct>().ToList();
        if (schema is not { Count: > 0 }) return (null, "no schema");
        var leaves = new List<(int Element, string Path)>();
        var pos = 1;
        string? problem = null;
        for (var c = 0; c < (schema[0].I32(T.SchemaElement.NumChildren) ?? 0) && problem is null; c++) problem = Walk(schema, ref pos, "", leaves);
        if (problem is not null) return (null, problem);
        if (pos != schema.Count) return (null, "the schema's child counts do not add up");

        var text = leaves.FindIndex(l => l.Path == Columns.Text);
        if (text < 0) return (null, "no top-level text column");
        var te = schema[leaves[text].Element];
        if (te.I32(T.SchemaElement.Type) != T.PhysicalByteArray || te.I32(T.SchemaElement.RepetitionType) != T.Optional)
            return (null, "text is not an optional BYTE_ARRAY column");
        int? tagLeaf = null, tagElement = null;
        var top = TopLevel(schema).FirstOrDefault(t => schema[t].String(T.SchemaElement.Name) == Columns.TagCount, -1);
        if (top >= 0)
        {
            if ((schema[top].I32(T.SchemaElement.NumChildren) ?? 0) > 0) return (null, "tag_count is a struct");
            tagElement = top;
            tagLeaf = leaves.FindIndex(l => l.Element == top);
        }

        foreach (var rg in RowGroups(meta))
        {
            var columns = rg.List(T.RowGroup.Columns)?.Items.Cast<TStruct>().ToList() ?? [];
            if (columns.Count != leaves.Count) return (null, "a row group's column count differs from the schema's");
            foreach (var chunk in columns)
            {
                if (chunk.Has(T.ColumnChunk.FilePath)) return (null, "column chunks in another file");
                if (chunk.Has(T.ColumnChunk.CryptoMetadata) || chunk.Has(T.ColumnChunk.EncryptedColumnMetadata)) return (null, "encrypted columns");
                if (chunk.Struct(T.ColumnChunk.MetaData) is not { } cm) return (null, "a column chunk without metadata");
                var (start, length) = ChunkRange(cm);
                if (start < 4 || length < 0 || start + length > footer.MetadataOffset) return (null, "a column chunk lies outside the data");
            }
            var tm = columns[text].Struct(T.ColumnChunk.MetaData)!;
            if (tm.I32(T.ColumnMetaData.Codec) is not { } codec || !PageCodec.IsSupported(codec))
                return (null, $"text column codec {tm.I32(T.ColumnMetaData.Codec)} (handled: uncompressed, snappy, zstd)");
            var encodings = tm.List(T.ColumnMetaData.Encodings)?.Items.Select(e => ((TI32)e).Value).ToList() ?? [];
            if (encodings.FirstOrDefault(e => !TextEncodings.Contains(e), -1) is var bad and >= 0) return (null, $"text column encoding {bad} (handled: PLAIN, dictionary, RLE levels)");
        }
        return (new RawTagLayout(footer, text, tagLeaf, tagElement), null);
    }

    // depth-first over the flattened schema; repeated fields (lists, maps) are left to the general path
    static string? Walk(List<TStruct> schema, ref int pos, string prefix, List<(int, string)> leaves)
    {
        if (pos >= schema.Count) return "the schema ends early";
        var e = schema[pos];
        var path = prefix + e.String(T.SchemaElement.Name);
        if (e.I32(T.SchemaElement.RepetitionType) == T.Repeated) return $"repeated field '{path}'";
        var children = e.I32(T.SchemaElement.NumChildren) ?? 0;
        if (children == 0) leaves.Add((pos, path));
        pos++;
        for (var c = 0; c < children; c++)
            if (Walk(schema, ref pos, path + ".", leaves) is { } problem) return problem;
        return null;
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

    static IEnumerable<TStruct> RowGroups(TStruct meta) => meta.List(T.FileMetaData.RowGroups)?.Items.Cast<TStruct>() ?? [];

    /// <summary>A column chunk's bytes: from its dictionary page (when it has one) for total_compressed_size bytes.</summary>
    internal static (long Start, long Length) ChunkRange(TStruct cm)
    {
        var data = cm.I64(T.ColumnMetaData.DataPageOffset) ?? -1;
        var start = cm.I64(T.ColumnMetaData.DictionaryPageOffset) is { } d && d > 0 && d < data ? d : data;
        return (start, cm.I64(T.ColumnMetaData.TotalCompressedSize) ?? -1);
    }

    /// <summary>
    /// Tags <paramref name="input"/> into <paramref name="target"/> (atomically). Ids and scores come from Parquet.Net;
    /// they were validated before (<see cref="TagParquet.ValidateAsync"/>). Up to <paramref name="threads"/> row groups
    /// are tagged at once and written in order, so the bytes do not depend on it. Working buffers are taken from and
    /// returned to <paramref name="pool"/> (large buffers are costly to allocate).
    /// </summary>
    public static async Task<RawTagFileResult> TagFileAsync(string input, string target, RawTagLayout layout, TagPlan plan, string scoreField,
        int threads = 1, ConcurrentBag<RawTagBuffers>? pool = null, CancellationToken ct = default)
    {
        var meta = layout.Footer.Metadata;
        var workers = Enumerable.Range(0, Math.Max(1, threads)).Select(_ => pool is not null && pool.TryTake(out var b) ? b : new RawTagBuffers()).ToArray();
        foreach (var w in workers) w.TextChars = 0;
        var copy = workers[0].Copy;
        long rows = 0, taggedDocs = 0, tags = 0;
        var outGroups = new List<TValue>();
        using var file = File.OpenHandle(input);
        await using var idScores = ParquetFiles.ReadBatchesAsync(input, new ParquetReadOptions([Columns.Id, scoreField]), ct).GetAsyncEnumerator(ct);
        var groups = RowGroups(meta).ToList();
        await AtomicFile.WriteAsync(target, async stream =>
        {
            long offset = 0;
            async Task Emit(ReadOnlyMemory<byte> bytes)
            {
                await stream.WriteAsync(bytes, ct);
                offset += bytes.Length;
            }
            await Emit(ParquetFooter.Magic.ToArray());
            for (var first = 0; first < groups.Count; first += workers.Length)
            {
                ct.ThrowIfCancellationRequested();
                // a wave: the next row groups' ids and scores (Parquet.Net reads them in order), then their text tagged in parallel
                var wave = new List<GroupWork>();
                foreach (var rg in groups.Skip(first).Take(workers.Length))
                {
                    if (!await idScores.MoveNextAsync()) throw new InvalidDataException($"{input}: Parquet.Net reads fewer row groups than the footer lists");
                    var numRows = rg.I64(T.RowGroup.NumRows) ?? 0;
                    if (numRows == 0) continue;     // the general path writes no empty row groups either
                    if (idScores.Current.RowCount != numRows) throw new InvalidDataException($"{input}: row group of {numRows} rows read as {idScores.Current.RowCount}");
                    wave.Add(new GroupWork(rg, RowActions(idScores.Current, scoreField, plan), new int[numRows]));
                }
                try
                {
                    Parallel.For(0, wave.Count, new ParallelOptions { MaxDegreeOfParallelism = workers.Length, CancellationToken = ct },
                        w => TagRowGroup(file, layout, wave[w], workers[w], plan));
                }
                catch (AggregateException e)
                {
                    // the first row group's problem, as such: an unsupported page means falling back, bad input exit code 2
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
                }

                foreach (var (w, g) in wave.Select((g, w) => (w, g)))
                {
                    var state = workers[w];
                    var columns = g.RowGroup.List(T.RowGroup.Columns)!.Items.Cast<TStruct>().ToList();
                    var outColumns = new List<TValue>(columns.Count + 1);
                    var groupStart = offset;
                    for (var i = 0; i < columns.Count; i++)
                    {
                        if (i == layout.TagCountLeaf) continue;   // written after the others, in its place
                        var cm = columns[i].Struct(T.ColumnChunk.MetaData)!;
                        if (i == layout.TextLeaf)
                        {
                            outColumns.Add(columns[i].Without(T.ColumnChunk.OffsetIndexOffset, T.ColumnChunk.OffsetIndexLength, T.ColumnChunk.ColumnIndexOffset, T.ColumnChunk.ColumnIndexLength)
                                .With(T.ColumnChunk.FileOffset, offset)
                                .With(T.ColumnChunk.MetaData, RewrittenMeta(cm, offset, g.TextSizes)));
                            await Emit(state.Out.WrittenMemory);
                            continue;
                        }
                        var (start, length) = ChunkRange(cm);
                        copy.Clear();
                        ParquetFooter.ReadExactly(file, copy.GetSpan(checked((int)length))[..(int)length], start);
                        copy.Advance((int)length);
                        outColumns.Add(Shifted(columns[i], offset - start));
                        await Emit(copy.WrittenMemory);
                    }
                    var tagChunk = TagCountChunk(g.Codec, g.Counts.Length, g.TagCountSizes, offset);
                    await Emit(state.TagCount.WrittenMemory);
                    if (layout.TagCountLeaf is { } at) outColumns.Insert(at, tagChunk); else outColumns.Add(tagChunk);
                    var uncompressed = outColumns.Sum(c => ((TStruct)c).Struct(T.ColumnChunk.MetaData)!.I64(T.ColumnMetaData.TotalUncompressedSize) ?? 0);

                    var rg = g.RowGroup;
                    var outGroup = rg.With(T.RowGroup.Columns, new TList(TType.Struct, outColumns)).With(T.RowGroup.TotalByteSize, uncompressed);
                    if (rg.Has(T.RowGroup.FileOffset)) outGroup = outGroup.With(T.RowGroup.FileOffset, groupStart);
                    if (rg.Has(T.RowGroup.TotalCompressedSize)) outGroup = outGroup.With(T.RowGroup.TotalCompressedSize, offset - groupStart);
                    if (rg.Has(T.RowGroup.Ordinal)) outGroup = outGroup.With(T.RowGroup.Ordinal, new TI16(checked((short)outGroups.Count)));
                    outGroups.Add(outGroup);
                    rows += g.Counts.Length;
                    taggedDocs += g.Counts.Count(c => c > 0);
                    tags += g.Counts.Sum(c => (long)c);
                }
            }
            await Emit(ParquetFooter.Serialize(OutputMetadata(meta, layout, outGroups, rows)));
        });
        var chars = workers.Sum(w => w.TextChars);
        foreach (var w in workers)
            if (pool is not null) pool.Add(w); else w.Dispose();
        return new RawTagFileResult(rows, taggedDocs, tags, chars);
    }

    /// <summary>One row group of a wave: its footer entry, what to do with each row, and (filled by <see cref="TagRowGroup"/>) what tagging produced.</summary>
    sealed class GroupWork(TStruct rowGroup, (RowAction[] Actions, ulong[] Keys) docs, int[] counts)
    {
        public TStruct RowGroup => rowGroup;
        public (RowAction[] Actions, ulong[] Keys) Docs => docs;
        public int[] Counts => counts;
        public int Codec;
        public (long Uncompressed, long Compressed) TextSizes, TagCountSizes;
    }

    /// <summary>The text chunk of one row group tagged into <c>state.Out</c>, and its <c>tag_count</c> page into <c>state.TagCount</c>.</summary>
    static void TagRowGroup(Microsoft.Win32.SafeHandles.SafeFileHandle file, RawTagLayout layout, GroupWork g, RawTagBuffers state, TagPlan plan)
    {
        var cm = g.RowGroup.List(T.RowGroup.Columns)!.Items.Cast<TStruct>().ElementAt(layout.TextLeaf).Struct(T.ColumnChunk.MetaData)!;
        var (start, length) = ChunkRange(cm);
        g.Codec = cm.I32(T.ColumnMetaData.Codec)!.Value;
        state.Chunk.Clear();
        ParquetFooter.ReadExactly(file, state.Chunk.GetSpan(checked((int)length))[..(int)length], start);
        state.Chunk.Advance((int)length);
        using var pages = new PageCodec(g.Codec);
        g.TextSizes = TagTextChunk(state, pages, cm.I64(T.ColumnMetaData.NumValues) ?? -1, g.Docs, g.Counts, plan);
        g.TagCountSizes = EncodeTagCounts(state, pages, g.Counts);
    }

    /// <summary>What happens to each row's text: copied, tagged (with its draw key), or an error when the text is present.</summary>
    enum RowAction : byte { Copy, Tag, MissingScore, MissingId }

    static (RowAction[] Actions, ulong[] Keys) RowActions(ParquetBatch batch, string scoreField, TagPlan plan)
    {
        var ids = batch.Ids;
        var scores = TagParquet.Scores(batch.Column(scoreField).Values);
        var n = batch.RowCount;
        var actions = new RowAction[n];
        var keys = new ulong[n];
        for (var i = 0; i < n; i++)
        {
            actions[i] = scores[i] is not { } s ? RowAction.MissingScore
                : s < plan.MinScore ? RowAction.Copy
                : ids[i] is not { } id ? RowAction.MissingId
                : RowAction.Tag;
            if (actions[i] == RowAction.Tag) keys[i] = HarmfulnessTagger.DocumentKey(ids[i]!);
        }
        return (actions, keys);
    }

    /// <summary>Decodes, tags and re-encodes one text column chunk (in <c>state.Chunk</c>) into <c>state.Out</c>; fills <paramref name="counts"/>.</summary>
    // called once per row group, too rarely for tiered compilation to optimise its loops: optimised from the start
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    static (long Uncompressed, long Compressed) TagTextChunk(RawTagBuffers state, PageCodec pages, long numValues, (RowAction[] Actions, ulong[] Keys) docs, int[] counts, TagPlan plan)
    {
        var data = state.Chunk.Written;
        var numRows = counts.Length;
        state.Out.Clear();
        (int[] Starts, int[] Lengths)? dictionary = null;
        var levels = Array.Empty<int>();
        var indices = Array.Empty<int>();
        int pos = 0, row = 0;
        long uncompressedTotal = 0, compressedTotal = 0;
        while (pos < data.Length && row < numRows)
        {
            var header = ThriftCompact.Read(data, ref pos);
            var type = header.I32(T.PageHeader.Type) ?? -1;
            var usize = header.I32(T.PageHeader.UncompressedPageSize) ?? -1;
            var csize = header.I32(T.PageHeader.CompressedPageSize) ?? -1;
            if (usize < 0 || csize < 0 || csize > data.Length - pos) throw new InvalidDataException("text page sizes out of range");
            var body = data.Slice(pos, csize);
            pos += csize;
            switch (type)
            {
                case T.PageDictionary:
                {
                    var dh = header.Struct(T.PageHeader.DictionaryPageHeader) ?? throw new InvalidDataException("dictionary page without its header");
                    if (dh.I32(T.DictionaryPageHeader.Encoding) is not (T.EncodingPlain or T.EncodingPlainDictionary))
                        throw new ParquetRawUnsupportedException($"dictionary page encoding {dh.I32(T.DictionaryPageHeader.Encoding)}");
                    state.Dictionary.Clear();
                    pages.Decompress(body, state.Dictionary.GetSpan(usize)[..usize]);
                    state.Dictionary.Advance(usize);
                    dictionary = PageHeaders.PlainByteArrays(state.Dictionary.Written, dh.I32(T.DictionaryPageHeader.NumValues) ?? 0);
                    continue;
                }
                case T.PageIndex: continue;
                case T.PageData or T.PageDataV2: break;
                default: throw new ParquetRawUnsupportedException($"page type {type}");
            }

            // definition levels go to the output page as they are (with v1's length prefix); values are decoded below
            state.Plain.Clear();
            state.Plain.Ensure(usize + usize / 8 + (1 << 16)); // room for the tags of a 5 % rate without regrowing
            int n, encoding;
            ReadOnlySpan<byte> levelBytes, values;
            if (type == T.PageData)
            {
                var h = header.Struct(T.PageHeader.DataPageHeader) ?? throw new InvalidDataException("data page without its header");
                n = h.I32(T.DataPageHeader.NumValues) ?? -1;
                encoding = h.I32(T.DataPageHeader.Encoding) ?? -1;
                if (h.I32(T.DataPageHeader.DefinitionLevelEncoding) != T.EncodingRle)
                    throw new ParquetRawUnsupportedException($"definition level encoding {h.I32(T.DataPageHeader.DefinitionLevelEncoding)}");
                state.Page.Clear();
                pages.Decompress(body, state.Page.GetSpan(usize)[..usize]);
                state.Page.Advance(usize);
                var page = state.Page.Written;
                if (page.Length < 4) throw new InvalidDataException("data page too short for its levels");
                var levelLength = BinaryPrimitives.ReadInt32LittleEndian(page);
                if (levelLength < 0 || levelLength > page.Length - 4) throw new InvalidDataException("definition levels out of range");
                state.Plain.Write(page[..(4 + levelLength)]);
                levelBytes = page.Slice(4, levelLength);
                values = page[(4 + levelLength)..];
            }
            else
            {
                var h = header.Struct(T.PageHeader.DataPageHeaderV2) ?? throw new InvalidDataException("data page v2 without its header");
                n = h.I32(T.DataPageHeaderV2.NumValues) ?? -1;
                encoding = h.I32(T.DataPageHeaderV2.Encoding) ?? -1;
                var defLength = h.I32(T.DataPageHeaderV2.DefinitionLevelsByteLength) ?? -1;
                var repLength = h.I32(T.DataPageHeaderV2.RepetitionLevelsByteLength) ?? 0;
                if (repLength != 0) throw new InvalidDataException("repetition levels in a top-level column");
                if (defLength < 0 || defLength > csize || defLength > usize) throw new InvalidDataException("definition levels out of range");
                levelBytes = body[..defLength];
                state.Plain.WriteInt32(defLength);
                state.Plain.Write(levelBytes);
                var packed = body[defLength..];
                // v2 keeps levels outside the compression; values are compressed unless is_compressed says otherwise
                if (h.Bool(T.DataPageHeaderV2.IsCompressed) ?? true)
                {
                    state.Page.Clear();
                    pages.Decompress(packed, state.Page.GetSpan(usize - defLength)[..(usize - defLength)]);
                    state.Page.Advance(usize - defLength);
                    values = state.Page.Written;
                }
                else values = packed;
            }
            if (n < 0 || n > numRows - row) throw new InvalidDataException($"a text page holds {n} values, more than the row group has rows");
            if (levels.Length < n) levels = new int[Math.Max(n, 2 * levels.Length)];
            RleHybrid.Decode(levelBytes, 1, levels.AsSpan(0, n));
            var present = 0;
            for (var i = 0; i < n; i++) present += levels[i];

            var dictionaryEncoded = encoding is T.EncodingRleDictionary or T.EncodingPlainDictionary;
            if (!dictionaryEncoded && encoding != T.EncodingPlain) throw new ParquetRawUnsupportedException($"text page encoding {encoding}");
            if (dictionaryEncoded)
            {
                if (dictionary is null) throw new InvalidDataException("dictionary-encoded page without a dictionary");
                if (present > 0 && values.Length < 1) throw new InvalidDataException("dictionary indices without a bit width");
                if (indices.Length < present) indices = new int[Math.Max(present, 2 * indices.Length)];
                if (present > 0) RleHybrid.Decode(values[1..], values[0], indices.AsSpan(0, present));
            }

            var dict = state.Dictionary.Written;
            int vpos = 0, k = 0, pageTags = 0;
            for (var i = 0; i < n; i++, row++)
            {
                if (levels[i] == 0) continue;
                ReadOnlySpan<byte> value;
                if (dictionaryEncoded)
                {
                    var index = indices[k++];
                    if ((uint)index >= (uint)dictionary!.Value.Starts.Length) throw new InvalidDataException("dictionary index out of range");
                    value = dict.Slice(dictionary.Value.Starts[index], dictionary.Value.Lengths[index]);
                }
                else
                {
                    var len = PageHeaders.ReadLength(values, vpos);
                    value = values.Slice(vpos + 4, len);
                    vpos += 4 + len;
                }
                state.TextChars += Encoding.UTF8.GetCharCount(value);
                var lengthAt = state.Plain.Reserve(4);
                var before = state.Plain.Length;
                switch (docs.Actions[row])
                {
                    case RowAction.Tag:
                        counts[row] = HarmfulnessTagger.Tag(value, docs.Keys[row], plan, state.Plain);
                        pageTags += counts[row];
                        break;
                    case RowAction.Copy: state.Plain.Write(value); break;
                    case RowAction.MissingScore: throw new BadInputException($"row {row} of a row group: the safety score is missing");
                    default: throw new BadInputException($"row {row} of a row group: the id is missing (tag draws are keyed by id)");
                }
                state.Plain.PatchInt32(lengthAt, state.Plain.Length - before);
            }
            // a PLAIN v1 page without tags comes out as it went in: its compressed bytes are kept (no re-compression)
            var (u, c) = pageTags == 0 && type == T.PageData && !dictionaryEncoded && state.Plain.Length == usize
                ? WritePage(body, n, usize, state.Out)
                : WritePage(state, pages, n, state.Out);
            uncompressedTotal += u;
            compressedTotal += c;
        }
        if (row != numRows) throw new InvalidDataException($"the text column holds {row} values for {numRows} rows");
        if (numValues >= 0 && numValues != numRows) throw new InvalidDataException($"the text column's num_values {numValues} differs from its {numRows} rows");
        return (uncompressedTotal, compressedTotal);
    }

    /// <summary>Compresses <c>state.Plain</c> (one page: levels then values) onto <paramref name="output"/> behind a v1 header; returns its sizes with the header.</summary>
    static (long Uncompressed, long Compressed) WritePage(RawTagBuffers state, PageCodec pages, int numValues, ByteBuffer output)
    {
        state.Compressed.Clear();
        pages.Compress(state.Plain.Written, state.Compressed);
        return WritePage(state.Compressed.Written, numValues, state.Plain.Length, output);
    }

    /// <summary>A page's compressed bytes behind a new v1 header (no statistics, no checksum); returns its sizes with the header.</summary>
    static (long Uncompressed, long Compressed) WritePage(ReadOnlySpan<byte> body, int numValues, int uncompressedSize, ByteBuffer output)
    {
        var before = output.Length;
        ThriftCompact.Write(PageHeaders.DataPageV1(numValues, uncompressedSize, body.Length), output);
        var header = output.Length - before;
        output.Write(body);
        return (header + uncompressedSize, header + body.Length);
    }

    /// <summary>The <c>tag_count</c> values of one row group as one PLAIN page (every row defined) in <c>state.TagCount</c>.</summary>
    static (long Uncompressed, long Compressed) EncodeTagCounts(RawTagBuffers state, PageCodec pages, int[] counts)
    {
        state.TagCount.Clear();
        state.Plain.Clear();
        var lengthAt = state.Plain.Reserve(4);
        RleHybrid.WriteRun(state.Plain, counts.Length, 1);
        state.Plain.PatchInt32(lengthAt, state.Plain.Length - 4);
        foreach (var c in counts) state.Plain.WriteInt32(c);
        return WritePage(state, pages, counts.Length, state.TagCount);
    }

    /// <summary>The footer entry of a <c>tag_count</c> chunk written at <paramref name="offset"/>.</summary>
    static TStruct TagCountChunk(int codec, int rows, (long Uncompressed, long Compressed) sizes, long offset)
    {
        var meta = new TStruct([
            new(T.ColumnMetaData.Type, new TI32(T.PhysicalInt32)),
            new(T.ColumnMetaData.Encodings, new TList(TType.I32, [new TI32(T.EncodingPlain), new TI32(T.EncodingRle)])),
            new(T.ColumnMetaData.PathInSchema, new TList(TType.Binary, [TBinary.Of(Columns.TagCount)])),
            new(T.ColumnMetaData.Codec, new TI32(codec)),
            new(T.ColumnMetaData.NumValues, new TI64(rows)),
            new(T.ColumnMetaData.TotalUncompressedSize, new TI64(sizes.Uncompressed)),
            new(T.ColumnMetaData.TotalCompressedSize, new TI64(sizes.Compressed)),
            new(T.ColumnMetaData.DataPageOffset, new TI64(offset)),
        ]);
        return new TStruct([new(T.ColumnChunk.FileOffset, new TI64(offset)), new(T.ColumnChunk.MetaData, meta)]);
    }

    /// <summary>The schema element the general path writes for <c>tag_count</c> (Parquet.Net's optional int32).</summary>
    static TStruct TagCountElement() => new([
        new(T.SchemaElement.Type, new TI32(T.PhysicalInt32)),
        new(T.SchemaElement.RepetitionType, new TI32(T.Optional)),
        new(T.SchemaElement.Name, TBinary.Of(Columns.TagCount)),
        new(T.SchemaElement.ConvertedType, new TI32(17)),  // INT_32
        new(T.SchemaElement.LogicalType, new TStruct([new(10, new TStruct([new(1, new TByte(32)), new(2, new TBool(true))]))])), // INTEGER(32, signed)
    ]);

    // the rewritten text chunk: new place and sizes, PLAIN values; statistics, dictionary, index and bloom references dropped
    static TStruct RewrittenMeta(TStruct cm, long offset, (long Uncompressed, long Compressed) sizes) =>
        cm.Without(T.ColumnMetaData.IndexPageOffset, T.ColumnMetaData.DictionaryPageOffset, T.ColumnMetaData.Statistics, T.ColumnMetaData.EncodingStats,
                T.ColumnMetaData.BloomFilterOffset, T.ColumnMetaData.BloomFilterLength, T.ColumnMetaData.SizeStatistics, T.ColumnMetaData.GeospatialStatistics)
            .With(T.ColumnMetaData.Encodings, new TList(TType.I32, [new TI32(T.EncodingPlain), new TI32(T.EncodingRle)]))
            .With(T.ColumnMetaData.TotalUncompressedSize, sizes.Uncompressed)
            .With(T.ColumnMetaData.TotalCompressedSize, sizes.Compressed)
            .With(T.ColumnMetaData.DataPageOffset, offset);

    // a copied chunk: every offset into the data moves by delta; page-index and bloom-filter bytes are not copied, so their references go
    static TStruct Shifted(TStruct chunk, long delta)
    {
        var cm = chunk.Struct(T.ColumnChunk.MetaData)!.Without(T.ColumnMetaData.BloomFilterOffset, T.ColumnMetaData.BloomFilterLength);
        foreach (var id in new[] { T.ColumnMetaData.DataPageOffset, T.ColumnMetaData.IndexPageOffset, T.ColumnMetaData.DictionaryPageOffset })
            if (cm.I64(id) is { } o && o > 0) cm = cm.With(id, o + delta);
        var result = chunk.Without(T.ColumnChunk.OffsetIndexOffset, T.ColumnChunk.OffsetIndexLength, T.ColumnChunk.ColumnIndexOffset, T.ColumnChunk.ColumnIndexLength)
            .With(T.ColumnChunk.MetaData, cm);
        return chunk.I64(T.ColumnChunk.FileOffset) is { } f && f > 0 ? result.With(T.ColumnChunk.FileOffset, f + delta) : result;
    }

    /// <summary>
    /// The output footer: the input's with the new row groups, <c>tag_count</c> in the schema (and column orders), and
    /// no key-value metadata (an <c>ARROW:schema</c> entry would no longer match; the general path writes none either).
    /// </summary>
    static TStruct OutputMetadata(TStruct meta, RawTagLayout layout, List<TValue> rowGroups, long rows)
    {
        var schema = meta.List(T.FileMetaData.Schema)!.Items.ToList();
        if (layout.TagCountElement is { } e) schema[e] = TagCountElement();
        else
        {
            var root = (TStruct)schema[0];
            schema[0] = root.With(T.SchemaElement.NumChildren, (root.I32(T.SchemaElement.NumChildren) ?? 0) + 1);
            schema.Add(TagCountElement());
        }
        var result = meta.Without(T.FileMetaData.KeyValueMetadata)
            .With(T.FileMetaData.Schema, new TList(TType.Struct, schema))
            .With(T.FileMetaData.NumRows, rows)
            .With(T.FileMetaData.RowGroups, new TList(TType.Struct, rowGroups));
        if (meta.List(T.FileMetaData.ColumnOrders) is { } orders)
        {
            var list = orders.Items.ToList();
            var typeOrder = new TStruct([new(1, TStruct.Empty)]);
            if (layout.TagCountLeaf is { } at && at < list.Count) list[at] = typeOrder; else list.Add(typeOrder);
            result = result.With(T.FileMetaData.ColumnOrders, new TList(TType.Struct, list));
        }
        return result;
    }
}

/// <summary>The working buffers of <see cref="TagParquetRaw.TagFileAsync"/>, reusable from one file to the next.</summary>
public sealed class RawTagBuffers : IDisposable
{
    public void Dispose()
    {
        foreach (var b in new[] { Chunk, Copy, Out, Page, Plain, Compressed, Dictionary, TagCount }) b.Dispose();
    }

    internal readonly ByteBuffer Chunk = new(1 << 20), Copy = new(1 << 20), Out = new(1 << 20), Page = new(1 << 20),
        Plain = new(1 << 20), Compressed = new(1 << 20), Dictionary = new(1 << 16), TagCount = new(1 << 16);
    internal long TextChars;
}
