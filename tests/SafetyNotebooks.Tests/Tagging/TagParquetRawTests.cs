using System.Buffers;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.ParquetRaw;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Tagging;
using SafetyNotebooks.Tests.Foundation;
using T = SafetyNotebooks.Data.ParquetRaw.ParquetThrift;

namespace SafetyNotebooks.Tests.Tagging;

/// <summary>The byte-level path against the general path: same rows and values in every column, and explicit fallbacks.</summary>
public class TagParquetRawTests
{
    static readonly string[] Words = ["the", "weapon", "naïve", "日本", "instructions", "café", "a", "security"];

    static string Text(int i) => string.Join(i % 7 == 0 ? "\n" : " ", Enumerable.Range(0, 20 + i % 30).Select(k => Words[(i * 31 + k * 7) % Words.Length]));

    // nulls inside the metadata struct (whole struct, and single members), several row groups
    static Document Doc(int i, bool scoreInMetadata) => new($"<urn:uuid:{i:D4}>", Text(i),
        !scoreInMetadata && i % 4 == 0 ? null
            : new DocumentMetadata(i % 3 == 0 ? null : "CC-MAIN-2024-10", $"https://example.org/{i}", new DateTime(2024, 3, 1, 12, 0, i % 60, DateTimeKind.Utc),
                null, i % 5 == 1 ? null : "en", i % 6 == 0 ? null : 0.97, 42 + i, 2.5, i % 6),
        i % 6, SafetyScoreSources.Classifier, i % 2 == 0 ? "none" : null, i % 9 == 0 ? 17 : null);

    static async Task<List<ParquetBatch>> ReadAll(string folder)
    {
        var batches = new List<ParquetBatch>();
        foreach (var f in ShardJob.FindInputs([folder]))
            await foreach (var b in ParquetFiles.ReadBatchesAsync(f)) batches.Add(b);
        return batches;
    }

    /// <summary>Both outputs read back through the toolkit's reader: same row groups, columns, types and values.</summary>
    static async Task AssertSameContent(string expectedFolder, string actualFolder)
    {
        var x = await ReadAll(expectedFolder);
        var y = await ReadAll(actualFolder);
        Assert.Equal(x.Count, y.Count);
        for (var b = 0; b < x.Count; b++)
        {
            Assert.Equal(x[b].RowCount, y[b].RowCount);
            Assert.Equal(x[b].Columns.Select(c => (c.Path, ParquetValues.ArrayElementType(c.Field))), y[b].Columns.Select(c => (c.Path, ParquetValues.ArrayElementType(c.Field))));
            foreach (var c in x[b].Columns)
                Assert.True(c.Values.Cast<object?>().SequenceEqual(y[b].Column(c.Path).Values.Cast<object?>()), $"column {c.Path} of row group {b} differs");
        }
    }

    static async Task<(TagJobResult Raw, TagJobResult General, string RawOut, string GeneralOut)> BothPaths(string input, TagJobOptions options)
    {
        var rawOut = TestDirs.Fresh("raw");
        var generalOut = TestDirs.Fresh("general");
        var raw = await TagParquet.RunAsync([input], rawOut, options);
        var general = await TagParquet.RunAsync([input], generalOut, options with { ByteLevel = false });
        await AssertSameContent(generalOut, rawOut);
        Assert.Equal(general.Tags, raw.Tags);
        Assert.Equal(general.TaggedDocuments, raw.TaggedDocuments);
        Assert.Equal(general.TextChars, raw.TextChars);
        Assert.Equal(general.Documents, raw.Documents);
        Assert.Equal(0, general.ByteLevelFiles);
        return (raw, general, rawOut, generalOut);
    }

    public static IEnumerable<object[]> Codecs() =>
        from codec in new[] { ParquetCompression.Snappy, ParquetCompression.Zstd, ParquetCompression.None }
        from released in new[] { false, true }
        select new object[] { codec, released };

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task Byte_level_path_gives_the_general_paths_values_in_every_column(ParquetCompression codec, bool releasedOnly)
    {
        var dir = TestDirs.Fresh("in");
        var path = Path.Combine(dir, "a.parquet");
        await Documents.WriteAsync(path, Enumerable.Range(0, 47).Select(i => Doc(i, releasedOnly)),
            new DocumentWriteOptions(RowGroupSize: 10, Compression: codec, IncludeToolkitColumns: !releasedOnly));
        var options = new TagJobOptions(new TagOptions(Rate: 0.2), releasedOnly ? "metadata.int_score" : Columns.SafetyScore, Compression: codec);
        var (raw, _, rawOut, _) = await BothPaths(dir, options);
        Assert.Equal(1, raw.ByteLevelFiles);
        Assert.Empty(raw.Fallbacks!);
        Assert.True(raw.Tags > 0);
        // tag_count replaced in place when the input has it, appended last otherwise
        var columns = (await ReadAll(rawOut))[0].Columns.Select(c => c.Path).ToList();
        Assert.Equal(releasedOnly ? columns.Count - 1 : columns.IndexOf(Columns.SafetyReason) + 1, columns.IndexOf(Columns.TagCount));
    }

    [Theory]
    [InlineData(ParquetCompression.Snappy)]
    [InlineData(ParquetCompression.Zstd)]
    public async Task Text_pages_without_tags_keep_their_compressed_bytes(ParquetCompression codec)
    {
        // rate 0 (or no document at the threshold): nothing changes, so nothing is compressed again
        var dir = TestDirs.Fresh("in");
        var path = Path.Combine(dir, "a.parquet");
        await Documents.WriteAsync(path, Enumerable.Range(0, 47).Select(i => Doc(i, false)), new DocumentWriteOptions(RowGroupSize: 10, Compression: codec));
        var (raw, _, rawOut, _) = await BothPaths(dir, new TagJobOptions(new TagOptions(Rate: 0), Compression: codec));
        Assert.Equal(1, raw.ByteLevelFiles);
        Assert.Equal(0, raw.Tags);
        var before = TextPageBodies(path);
        Assert.Equal(5, before.Count);
        Assert.Equal(before, TextPageBodies(ShardJob.FindInputs([rawOut]).Single()));
    }

    /// <summary>The compressed bytes of every data page of the text column, in order.</summary>
    static List<byte[]> TextPageBodies(string path)
    {
        using var file = File.OpenHandle(path);
        var footer = ParquetFooter.Read(file);
        var layout = ColumnRewriteLayout.Of(footer, TagParquetRaw.Spec);
        var bodies = new List<byte[]>();
        foreach (TStruct rg in footer.Metadata.List(T.FileMetaData.RowGroups)!.Items)
        {
            var cm = ((TStruct)rg.List(T.RowGroup.Columns)!.Items[layout.ColumnLeaf]).Struct(T.ColumnChunk.MetaData)!;
            var (start, length) = ColumnRewriteLayout.ChunkRange(cm);
            var chunk = new byte[length];
            ParquetFooter.ReadExactly(file, chunk, start);
            for (var pos = 0; pos < chunk.Length;)
            {
                var header = ThriftCompact.Read(chunk, ref pos);
                var size = header.I32(T.PageHeader.CompressedPageSize)!.Value;
                if (header.I32(T.PageHeader.Type) == T.PageData) bodies.Add(chunk[pos..(pos + size)]);
                pos += size;
            }
        }
        return bodies;
    }

    [Fact]
    public async Task Toy_corpus_with_null_texts_and_dictionary_pages_matches_the_general_path()
    {
        var root = TestDirs.Fresh("toy");
        await ToyExport.WriteAsync(root, 240, new ToyOptions(Seed: 3), heldOut: 1, jbPrompts: 1, docsPerShard: 120);
        var toy = Path.Combine(root, ToyExport.Config, "train");
        var (raw, _, _, _) = await BothPaths(toy, new TagJobOptions(new TagOptions(Rate: 0.1), Threads: 2));
        Assert.Equal(2, raw.ByteLevelFiles);
        Assert.Empty(raw.Fallbacks!);

        Assert.True(raw.Tags > 0);
    }

    public static IEnumerable<object[]> PageKinds() =>
        from codec in new[] { ParquetCompression.Snappy, ParquetCompression.Zstd, ParquetCompression.None }
        from kind in new[] { "dictionary", "v2" }
        select new object[] { codec, kind };

    /// <summary>
    /// Null texts, and text chunks re-encoded by this test as pages Parquet.Net does not write: a dictionary page with
    /// RLE_DICTIONARY (bit-packed) indices, or two data pages v2 with bit-packed levels.
    /// </summary>
    [Theory]
    [MemberData(nameof(PageKinds))]
    public async Task Dictionary_and_v2_pages_with_null_texts_match_the_general_path(ParquetCompression codec, string kind)
    {
        var dir = TestDirs.Fresh("pages");
        var path = Path.Combine(dir, "p.parquet");
        var docs = Enumerable.Range(0, 45).Select(i => Doc(i, false) with { Text = Text(i % 4) }).ToList();
        await Documents.WriteAsync(path, docs, new DocumentWriteOptions(RowGroupSize: 20, Compression: codec));
        var texts = (await ReadAllFile(path)).Select(b => b.Texts.Select((t, i) => i % 5 == 3 ? null : t).ToArray()).ToList();
        RawPages.ReplaceTextChunks(path, texts, kind);
        Assert.Equal(texts.SelectMany(t => t), (await ReadAllFile(path)).SelectMany(b => b.Texts)); // Parquet.Net reads what was written
        Assert.Contains(kind == "dictionary" ? T.EncodingRleDictionary : T.EncodingPlain, TextEncodings(path));

        var (raw, _, _, _) = await BothPaths(dir, new TagJobOptions(new TagOptions(Rate: 0.3)));
        Assert.Equal(1, raw.ByteLevelFiles);
        Assert.True(raw.Tags > 0);
    }

    static List<int> TextEncodings(string path)
    {
        using var h = File.OpenHandle(path);
        var rg = (TStruct)ParquetFooter.Read(h).Metadata.List(T.FileMetaData.RowGroups)!.Items[0];
        var text = rg.List(T.RowGroup.Columns)!.Items.Cast<TStruct>().Single(c => c.Struct(T.ColumnChunk.MetaData)!.List(T.ColumnMetaData.PathInSchema)!.Items.Cast<TBinary>() is var p && string.Join(".", p.Select(x => x.Text)) == Columns.Text);
        return text.Struct(T.ColumnChunk.MetaData)!.List(T.ColumnMetaData.Encodings)!.Items.Select(e => ((TI32)e).Value).ToList();
    }

    [Fact]
    public async Task Outputs_are_byte_identical_for_any_thread_count_and_a_rerun_resumes()
    {
        var dir = TestDirs.Fresh("in");
        for (var f = 0; f < 3; f++)
            await Documents.WriteAsync(Path.Combine(dir, $"{f}.parquet"), Enumerable.Range(f * 30, 30).Select(i => Doc(i, false)), new DocumentWriteOptions(RowGroupSize: 8));
        var one = TestDirs.Fresh("one");
        var two = TestDirs.Fresh("two");
        var r1 = await TagParquet.RunAsync([dir], one, new TagJobOptions(new TagOptions(), Threads: 1));
        await TagParquet.RunAsync([dir], two, new TagJobOptions(new TagOptions(), Threads: 3));
        Assert.Equal(3, r1.ByteLevelFiles);
        foreach (var f in Directory.GetFiles(one, "*.parquet"))
            Assert.Equal(File.ReadAllBytes(f), File.ReadAllBytes(Path.Combine(two, Path.GetFileName(f))));
        // one file, several threads: its row groups are tagged in parallel and written in order
        var single = TestDirs.Fresh("single");
        await TagParquet.RunAsync([Path.Combine(dir, "0.parquet")], single, new TagJobOptions(new TagOptions(), Threads: 3));
        Assert.Equal(File.ReadAllBytes(Path.Combine(one, "0.parquet")), File.ReadAllBytes(Path.Combine(single, "0.parquet")));
        var again = await TagParquet.RunAsync([dir], one, new TagJobOptions(new TagOptions()));
        Assert.Equal(3, again.Job.Skipped);
        Assert.Equal(r1.Tags, again.Tags);
    }

    [Fact]
    public async Task Unsupported_inputs_fall_back_to_the_general_path_with_the_reason()
    {
        var dir = TestDirs.Fresh("in");
        var docs = Enumerable.Range(0, 25).Select(i => Doc(i, false)).ToList();
        // a codec the byte-level path does not decode
        var gzip = Path.Combine(dir, "gzip.parquet");
        await AtomicFile.WriteAsync(gzip, async stream =>
        {
            var batch = (await ReadAllFile(await Write(dir, "tmp.parquet", docs)))[0];
            await using var w = await Parquet.ParquetWriter.CreateAsync(batch.Schema, stream, new Parquet.ParquetOptions { CompressionMethod = Parquet.CompressionMethod.Gzip });
            using var rg = w.CreateRowGroup();
            foreach (var c in batch.Columns) await ParquetValues.WriteAsync(rg, c.Field, c.Values, default);
        });
        File.Delete(Path.Combine(dir, "tmp.parquet"));
        // a text encoding it does not decode (DELTA_BYTE_ARRAY listed in the footer)
        var delta = await Write(dir, "delta.parquet", docs);
        RewriteFooter(delta, meta => meta.With(T.FileMetaData.RowGroups, new TList(TType.Struct, meta.List(T.FileMetaData.RowGroups)!.Items.Cast<TStruct>().Select(rg =>
            (TValue)rg.With(T.RowGroup.Columns, new TList(TType.Struct, rg.List(T.RowGroup.Columns)!.Items.Cast<TStruct>().Select(c =>
            {
                var cm = c.Struct(T.ColumnChunk.MetaData)!;
                var isText = cm.List(T.ColumnMetaData.PathInSchema)!.Items.Cast<TBinary>() is var p && string.Join(".", p.Select(x => x.Text)) == Columns.Text;
                return (TValue)(isText ? c.With(T.ColumnChunk.MetaData, cm.With(T.ColumnMetaData.Encodings, new TList(TType.I32, [new TI32(0), new TI32(3), new TI32(7)]))) : c);
            }).ToList()))).ToList())));
        // a required text column
        var required = Path.Combine(dir, "required.parquet");
        var first = (await ReadAllFile(delta))[0];
        var texts = first.Texts;
        await ParquetFiles.WriteAsync(required, new[] { first.With(new ParquetColumn(Columns.Text, new Parquet.Schema.DataField<string>(Columns.Text, false), texts)) }.ToAsyncEnumerable(),
            first.Schema);
        var supported = await Write(dir, "ok.parquet", docs);
        // what only the pages show: a data page whose header names BIT_PACKED definition levels (the footer looks fine)
        var bitPacked = await Write(dir, "pages.parquet", docs);
        RawPages.ReplaceTextChunks(bitPacked, (await ReadAllFile(bitPacked)).Select(b => b.Texts).ToList(), "dictionary", definitionLevelEncoding: T.EncodingBitPacked);

        var (raw, _, _, _) = await BothPaths(dir, new TagJobOptions(new TagOptions(Rate: 0.2)));
        Assert.Equal(1, raw.ByteLevelFiles);
        var reasons = raw.Fallbacks!.ToDictionary(f => Path.GetFileName(f.Input), f => f.Reason);
        Assert.Equal(["delta.parquet", "gzip.parquet", "pages.parquet", "required.parquet"], reasons.Keys.Order());
        Assert.Contains("definition level encoding 4", reasons["pages.parquet"]);
        Assert.Contains("codec", reasons["gzip.parquet"]);
        Assert.Contains("encoding 7", reasons["delta.parquet"]);
        Assert.Contains("optional BYTE_ARRAY", reasons["required.parquet"]);
        Assert.DoesNotContain(supported, raw.Fallbacks!.Select(f => f.Input));
    }

    static async Task<string> Write(string dir, string name, IEnumerable<Document> docs)
    {
        var path = Path.Combine(dir, name);
        await Documents.WriteAsync(path, docs, new DocumentWriteOptions(RowGroupSize: 10));
        return path;
    }

    static async Task<List<ParquetBatch>> ReadAllFile(string path)
    {
        var list = new List<ParquetBatch>();
        await foreach (var b in ParquetFiles.ReadBatchesAsync(path)) list.Add(b);
        return list;
    }

    static void RewriteFooter(string path, Func<TStruct, TStruct> change)
    {
        ParquetFooter footer;
        using (var h = File.OpenHandle(path)) footer = ParquetFooter.Read(h);
        var bytes = File.ReadAllBytes(path)[..(int)footer.MetadataOffset];
        File.WriteAllBytes(path, [.. bytes, .. ParquetFooter.Serialize(change(footer.Metadata))]);
    }
}

/// <summary>Writes text column chunks the way other writers do (dictionary pages, data pages v2), for the decoder tests.</summary>
static class RawPages
{
    /// <summary>
    /// Appends new text chunks (one per row group) after the file's data and points the footer at them; the old chunks
    /// stay behind as unreferenced bytes, which readers never see.
    /// </summary>
    public static void ReplaceTextChunks(string path, IReadOnlyList<string?[]> texts, string kind, int definitionLevelEncoding = T.EncodingRle)
    {
        ParquetFooter footer;
        using (var h = File.OpenHandle(path)) footer = ParquetFooter.Read(h);
        var data = new List<byte>(File.ReadAllBytes(path)[..(int)footer.MetadataOffset]);
        var groups = footer.Metadata.List(T.FileMetaData.RowGroups)!.Items.Cast<TStruct>().ToList();
        for (var g = 0; g < groups.Count; g++)
        {
            var columns = groups[g].List(T.RowGroup.Columns)!.Items.Cast<TStruct>().ToList();
            var i = columns.FindIndex(c => string.Join(".", c.Struct(T.ColumnChunk.MetaData)!.List(T.ColumnMetaData.PathInSchema)!.Items.Cast<TBinary>().Select(x => x.Text)) == Columns.Text);
            var cm = columns[i].Struct(T.ColumnChunk.MetaData)!;
            var codec = cm.I32(T.ColumnMetaData.Codec)!.Value;
            long start = data.Count;
            var (bytes, dictionaryAt, dataAt, uncompressed) = kind == "dictionary" ? DictionaryChunk(texts[g], codec, definitionLevelEncoding) : V2Chunk(texts[g], codec);
            data.AddRange(bytes);
            cm = cm.Without(T.ColumnMetaData.Statistics, T.ColumnMetaData.DictionaryPageOffset)
                .With(T.ColumnMetaData.Encodings, new TList(TType.I32, (kind == "dictionary" ? new[] { 0, 3, 8 } : [0, 3]).Select(e => (TValue)new TI32(e)).ToList()))
                .With(T.ColumnMetaData.TotalCompressedSize, (long)bytes.Length)
                .With(T.ColumnMetaData.TotalUncompressedSize, uncompressed)
                .With(T.ColumnMetaData.DataPageOffset, start + dataAt);
            if (dictionaryAt is { } d) cm = cm.With(T.ColumnMetaData.DictionaryPageOffset, start + d);
            columns[i] = columns[i].With(T.ColumnChunk.MetaData, cm).With(T.ColumnChunk.FileOffset, start);
            groups[g] = groups[g].With(T.RowGroup.Columns, new TList(TType.Struct, columns));
        }
        var meta = footer.Metadata.With(T.FileMetaData.RowGroups, new TList(TType.Struct, groups.Cast<TValue>().ToList()));
        File.WriteAllBytes(path, [.. data, .. ParquetFooter.Serialize(meta)]);
    }

    static byte[] Plain(IEnumerable<string> values)
    {
        var b = new ByteBuffer();
        foreach (var v in values)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(v);
            b.WriteInt32(bytes.Length);
            b.Write(bytes);
        }
        return b.Written.ToArray();
    }

    /// <summary>One bit-packed run of the RLE / bit-packed hybrid (LSB first, padded to groups of 8).</summary>
    static byte[] BitPacked(IReadOnlyList<int> values, int width)
    {
        var groups = (values.Count + 7) / 8;
        var header = new List<byte>();
        for (var v = (ulong)groups << 1 | 1; ; v >>= 7)
        {
            if (v < 0x80) { header.Add((byte)v); break; }
            header.Add((byte)(v | 0x80));
        }
        var packed = new byte[groups * width];
        for (var i = 0; i < values.Count; i++)
            for (var bit = 0; bit < width; bit++)
                if ((values[i] >> bit & 1) != 0) packed[(i * width + bit) / 8] |= (byte)(1 << ((i * width + bit) % 8));
        return [.. header, .. packed];
    }

    static (byte[] Compressed, int Uncompressed) Pack(PageCodec codec, byte[] plain)
    {
        var b = new ByteBuffer();
        codec.Compress(plain, b);
        return (b.Written.ToArray(), plain.Length);
    }

    static byte[] Header(TStruct h) => ThriftCompact.Write(h);

    static (byte[], long?, long, long) DictionaryChunk(string?[] texts, int codecId, int definitionLevelEncoding)
    {
        using var codec = new PageCodec(codecId);
        var distinct = texts.Where(t => t is not null).Distinct().ToList();
        var (dict, dictSize) = Pack(codec, Plain(distinct!));
        var dictHeader = Header(new TStruct([
            new(T.PageHeader.Type, new TI32(T.PageDictionary)), new(T.PageHeader.UncompressedPageSize, new TI32(dictSize)),
            new(T.PageHeader.CompressedPageSize, new TI32(dict.Length)),
            new(T.PageHeader.DictionaryPageHeader, new TStruct([new(1, new TI32(distinct.Count)), new(2, new TI32(T.EncodingPlain))])),
        ]));
        var levels = BitPacked(texts.Select(t => t is null ? 0 : 1).ToList(), 1);
        var width = 3;
        byte[] plain = [.. BitConverter.GetBytes(levels.Length), .. levels, (byte)width, .. BitPacked(texts.Where(t => t is not null).Select(t => distinct.IndexOf(t)).ToList(), width)];
        var (page, pageSize) = Pack(codec, plain);
        var pageHeader = Header(new TStruct([
            new(T.PageHeader.Type, new TI32(T.PageData)), new(T.PageHeader.UncompressedPageSize, new TI32(pageSize)),
            new(T.PageHeader.CompressedPageSize, new TI32(page.Length)),
            new(T.PageHeader.DataPageHeader, new TStruct([new(1, new TI32(texts.Length)), new(2, new TI32(T.EncodingRleDictionary)), new(3, new TI32(definitionLevelEncoding)), new(4, new TI32(T.EncodingRle))])),
        ]));
        byte[] chunk = [.. dictHeader, .. dict, .. pageHeader, .. page];
        return (chunk, 0, dictHeader.Length + dict.Length, dictHeader.Length + dictSize + pageHeader.Length + pageSize);
    }

    static (byte[], long?, long, long) V2Chunk(string?[] texts, int codecId)
    {
        using var codec = new PageCodec(codecId);
        var chunk = new List<byte>();
        long uncompressed = 0;
        var half = texts.Length / 2;
        foreach (var part in new[] { texts[..half], texts[half..] })
        {
            var levels = BitPacked(part.Select(t => t is null ? 0 : 1).ToList(), 1);
            var (values, valuesSize) = Pack(codec, Plain(part.Where(t => t is not null)!));
            var header = Header(new TStruct([
                new(T.PageHeader.Type, new TI32(T.PageDataV2)), new(T.PageHeader.UncompressedPageSize, new TI32(levels.Length + valuesSize)),
                new(T.PageHeader.CompressedPageSize, new TI32(levels.Length + values.Length)),
                new(T.PageHeader.DataPageHeaderV2, new TStruct([
                    new(1, new TI32(part.Length)), new(2, new TI32(part.Count(t => t is null))), new(3, new TI32(part.Length)),
                    new(4, new TI32(T.EncodingPlain)), new(5, new TI32(levels.Length)), new(6, new TI32(0)),
                ])),
            ]));
            chunk.AddRange(header);
            chunk.AddRange(levels);
            chunk.AddRange(values);
            uncompressed += header.Length + levels.Length + valuesSize;
        }
        return (chunk.ToArray(), null, 0, uncompressed);
    }
}
