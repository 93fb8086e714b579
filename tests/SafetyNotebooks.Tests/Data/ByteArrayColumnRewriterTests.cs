using System.Buffers;
using System.Text;
using Parquet;
using Parquet.Schema;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.ParquetRaw;
using SafetyNotebooks.Tests.Foundation;
using SafetyNotebooks.Tests.Tagging;
using T = SafetyNotebooks.Data.ParquetRaw.ParquetThrift;

namespace SafetyNotebooks.Tests.Data;

/// <summary>
/// The byte-level column rewriter with a transformation that is not tagging (ASCII upper-casing of some values), on
/// files written by Parquet.Net: what it changes reads back through Parquet.Net, what it keeps keeps its bytes.
/// </summary>
public class ByteArrayColumnRewriterTests
{
    static readonly string[] Words = ["alpha", "naïve", "日本", "beta", "café", "gamma"];
    static readonly DataField Id = new DataField<string>("id", false), Text = new DataField<string>("text", true), N = new DataField<int>("n", false);

    const int RowsPerGroup = 12, Groups = 4;

    // some nulls, and texts that repeat (a row group has 9 distinct ones: Parquet.Net's dictionary threshold decides)
    static string? TextOf(long row) => row % 5 == 3 ? null : $"{row % 9} " + string.Join(" ", Enumerable.Range(0, 3 + (int)(row % 9 % 7)).Select(k => Words[(row % 9 + k) % Words.Length]));

    /// <summary>Upper-cased: every third row of the file, except in row group 1, which keeps all its values.</summary>
    static bool Changes(RowGroupContext rg, int row) => rg.Index != 1 && (rg.FirstRow + row) % 3 == 0;

    static string? Expected(int group, long row) => TextOf(row) is { } t && group != 1 && row % 3 == 0 ? AsciiUpper(t) : TextOf(row);

    static string AsciiUpper(string s) => new(s.Select(c => c is >= 'a' and <= 'z' ? (char)(c - 32) : c).ToArray());

    /// <summary>The test's transformation: upper-cases ASCII letters where <see cref="Changes"/> says so, and records each value's new byte length.</summary>
    sealed class UpperCase(RowGroupContext rowGroup) : IRowGroupRewrite
    {
        readonly int[] _lengths = new int[rowGroup.Rows];
        public ReadOnlySpan<int> AddedValues => _lengths;

        public ValueRewrite Rewrite(ReadOnlySpan<byte> value, int row, IBufferWriter<byte> output)
        {
            _lengths[row] = value.Length;
            if (!Changes(rowGroup, row))
            {
                output.Write("dropped"u8);   // what an Unchanged rewrite wrote does not reach the file
                return ValueRewrite.Unchanged;
            }
            var span = output.GetSpan(value.Length);
            for (var i = 0; i < value.Length; i++) span[i] = value[i] is >= (byte)'a' and <= (byte)'z' ? (byte)(value[i] - 32) : value[i];
            output.Advance(value.Length);
            return ValueRewrite.Replaced;
        }
    }

    static PrepareRowGroup UpperCasing(List<RowGroupContext>? seen = null) => (rg, _) =>
    {
        seen?.Add(rg);
        return ValueTask.FromResult<IRowGroupRewrite>(new UpperCase(rg));
    };

    /// <summary>A file as Parquet.Net writes it: id, text (optional), n, and optionally an existing int32 <c>len</c> column before n.</summary>
    static async Task<string> WriteAsync(string dir, CompressionMethod codec, bool dictionary = false, bool withLen = false, bool requiredText = false)
    {
        var path = Path.Combine(dir, "in.parquet");
        var text = requiredText ? new DataField<string>("text", false) : Text;
        var len = new DataField<int?>("len");
        var schema = withLen ? new ParquetSchema(Id, text, len, N) : new ParquetSchema(Id, text, N);
        var options = new ParquetOptions { CompressionMethod = codec, DictionaryEncodingThreshold = dictionary ? 1.0 : 0.0 };
        if (dictionary) options.ColumnEncodingHints[text.Path.ToString()] = EncodingHint.Dictionary;
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream, options))
            for (var g = 0; g < Groups; g++)
            {
                var rows = Enumerable.Range(g * RowsPerGroup, RowsPerGroup).ToArray();
                using var rg = writer.CreateRowGroup();
                await rg.WriteAsync(Id, rows.Select(r => $"doc-{r}").ToArray());
                await rg.WriteAsync(text, rows.Select(r => requiredText ? TextOf(r) ?? "" : TextOf(r)).ToArray()!);
                if (withLen) await rg.WriteAsync<int>(len, new ReadOnlyMemory<int?>(rows.Select(r => (int?)-r).ToArray()), null, null, default);
                await rg.WriteAsync<int>(N, new ReadOnlyMemory<int>(rows.Select(r => r * 10).ToArray()), null, null, default);
            }
        return path;
    }

    static async Task<List<ParquetBatch>> ReadAsync(string path)
    {
        var batches = new List<ParquetBatch>();
        await foreach (var b in ParquetFiles.ReadBatchesAsync(path)) batches.Add(b);
        return batches;
    }

    public static IEnumerable<object[]> Inputs() =>
        from codec in new[] { CompressionMethod.Snappy, CompressionMethod.Zstd, CompressionMethod.None }
        from kind in new[] { "plain", "dictionary", "v2" }
        select new object[] { codec, kind };

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Changed_values_read_back_through_Parquet_Net_and_the_other_columns_are_untouched(CompressionMethod codec, string kind)
    {
        var dir = TestDirs.Fresh();
        var input = await WriteAsync(dir, codec, dictionary: kind == "dictionary");
        if (kind == "v2") RawPages.ReplaceTextChunks(input, Enumerable.Range(0, Groups).Select(g => Enumerable.Range(g * RowsPerGroup, RowsPerGroup).Select(r => TextOf(r)).ToArray()).ToList(), "v2");
        Assert.Equal(kind == "dictionary", TextEncodings(input).Contains(T.EncodingRleDictionary) || TextEncodings(input).Contains(T.EncodingPlainDictionary));
        var output = Path.Combine(dir, "out.parquet");
        var seen = new List<RowGroupContext>();

        var outcome = await ByteArrayColumnRewriter.TryRewriteAsync(input, output, new ColumnRewriteSpec("text"), UpperCasing(seen));

        Assert.Equal(RewriteOutcome.Done(Groups * RowsPerGroup), outcome);
        Assert.Equal(Enumerable.Range(0, Groups).Select(g => new RowGroupContext(g, g * RowsPerGroup, RowsPerGroup)), seen);
        var before = await ReadAsync(input);
        var after = await ReadAsync(output);
        Assert.Equal(Groups, after.Count);
        for (var g = 0; g < Groups; g++)
        {
            Assert.Equal(Enumerable.Range(g * RowsPerGroup, RowsPerGroup).Select(r => Expected(g, r)), after[g].Texts);
            Assert.Equal(before[g].Strings("id"), after[g].Strings("id"));
            Assert.Equal(before[g].Values<int>("n"), after[g].Values<int>("n"));
        }
        Assert.Equal(before[0].Columns.Select(c => c.Path), after[0].Columns.Select(c => c.Path));
        Assert.Equal([T.EncodingPlain, T.EncodingRle], TextEncodings(output));
        // the other columns' pages are copied as they are
        Assert.Equal(ChunkBytes(input, "n"), ChunkBytes(output, "n"));
        Assert.Equal(ChunkBytes(input, "id"), ChunkBytes(output, "id"));
    }

    [Theory]
    [InlineData(CompressionMethod.Snappy)]
    [InlineData(CompressionMethod.Zstd)]
    [InlineData(CompressionMethod.None)]
    public async Task Pages_whose_values_all_stay_keep_their_compressed_bytes(CompressionMethod codec)
    {
        var dir = TestDirs.Fresh();
        var input = await WriteAsync(dir, codec);
        var output = Path.Combine(dir, "out.parquet");
        Assert.True((await ByteArrayColumnRewriter.TryRewriteAsync(input, output, new ColumnRewriteSpec("text"), UpperCasing())).Rewritten);

        var (inPages, outPages) = (TextPageBodies(input), TextPageBodies(output));
        Assert.Equal(Groups, inPages.Count);
        Assert.Equal(Groups, outPages.Count);
        for (var g = 0; g < Groups; g++)
            if (g == 1) Assert.Equal(inPages[g], outPages[g]);      // nothing changed in row group 1
            else Assert.NotEqual(inPages[g], outPages[g]);
    }

    [Fact]
    public async Task Output_bytes_do_not_depend_on_the_thread_count()
    {
        var dir = TestDirs.Fresh();
        var input = await WriteAsync(dir, CompressionMethod.Snappy);
        var outputs = new List<byte[]>();
        foreach (var threads in new[] { 1, 3 })
        {
            var output = Path.Combine(dir, $"out{threads}.parquet");
            await ByteArrayColumnRewriter.TryRewriteAsync(input, output, new ColumnRewriteSpec("text"), UpperCasing(), threads);
            outputs.Add(File.ReadAllBytes(output));
        }
        Assert.Equal(outputs[0], outputs[1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_added_int32_column_is_appended_or_replaces_the_one_of_its_name_in_place(bool inputHasIt)
    {
        var dir = TestDirs.Fresh();
        var input = await WriteAsync(dir, CompressionMethod.Zstd, withLen: inputHasIt);
        var output = Path.Combine(dir, "out.parquet");

        Assert.True((await ByteArrayColumnRewriter.TryRewriteAsync(input, output, new ColumnRewriteSpec("text", "len"), UpperCasing())).Rewritten);

        var after = await ReadAsync(output);
        Assert.Equal(inputHasIt ? ["id", "text", "len", "n"] : new[] { "id", "text", "n", "len" }, after[0].Columns.Select(c => c.Path));
        for (var g = 0; g < Groups; g++)
        {
            var rows = Enumerable.Range(g * RowsPerGroup, RowsPerGroup);
            Assert.Equal(rows.Select(r => (int?)(TextOf(r) is { } t ? Encoding.UTF8.GetByteCount(t) : 0)), after[g].Values<int>("len"));
            Assert.Equal(rows.Select(r => Expected(g, r)), after[g].Texts);
        }
    }

    [Fact]
    public async Task What_the_byte_level_does_not_handle_comes_back_as_a_fallback_reason_and_nothing_is_written()
    {
        var dir = TestDirs.Fresh();
        var cases = new List<(string Input, ColumnRewriteSpec Spec, string Reason)>
        {
            (await WriteAsync(TestDirs.Fresh(), CompressionMethod.Gzip), new("text"), "text column codec 2"),
            (await WriteAsync(TestDirs.Fresh(), CompressionMethod.Snappy, requiredText: true), new("text"), "text is not an optional BYTE_ARRAY column"),
            (await WriteAsync(TestDirs.Fresh(), CompressionMethod.Snappy), new("body"), "no top-level body column"),
            (await WriteAsync(TestDirs.Fresh(), CompressionMethod.Snappy), new("id"), "id is not an optional BYTE_ARRAY column"),
        };
        foreach (var (input, spec, reason) in cases)
        {
            var output = Path.Combine(dir, "out.parquet");
            var outcome = await ByteArrayColumnRewriter.TryRewriteAsync(input, output, spec, UpperCasing());
            Assert.False(outcome.Rewritten);
            Assert.Contains(reason, outcome.FallbackReason);
            Assert.False(File.Exists(output));
        }
    }

    [Fact]
    public async Task Bad_input_found_by_the_transformation_throws_and_leaves_no_output()
    {
        var dir = TestDirs.Fresh();
        var input = await WriteAsync(dir, CompressionMethod.Snappy);
        var output = Path.Combine(dir, "out.parquet");
        PrepareRowGroup failing = (rg, _) => rg.Index == 2 ? throw new BadInputException("row group 2 refused", input) : ValueTask.FromResult<IRowGroupRewrite>(KeepValues.Instance);
        await Assert.ThrowsAsync<BadInputException>(() => ByteArrayColumnRewriter.TryRewriteAsync(input, output, new ColumnRewriteSpec("text"), failing));
        Assert.False(File.Exists(output));
    }

    static List<int> TextEncodings(string path) =>
        TextChunks(path).First().Meta.List(T.ColumnMetaData.Encodings)!.Items.Select(e => ((TI32)e).Value).ToList();

    /// <summary>The footer entries of every row group's chunk of <paramref name="column"/>.</summary>
    static List<(TStruct Meta, long Start, long Length)> TextChunks(string path, string column = "text")
    {
        using var h = File.OpenHandle(path);
        return ParquetFooter.Read(h).Metadata.List(T.FileMetaData.RowGroups)!.Items.Cast<TStruct>()
            .Select(rg => rg.List(T.RowGroup.Columns)!.Items.Cast<TStruct>().Select(c => c.Struct(T.ColumnChunk.MetaData)!)
                .Single(cm => string.Join(".", cm.List(T.ColumnMetaData.PathInSchema)!.Items.Cast<TBinary>().Select(x => x.Text)) == column))
            .Select(cm => (cm, ColumnRewriteLayout.ChunkRange(cm).Start, ColumnRewriteLayout.ChunkRange(cm).Length)).ToList();
    }

    static List<byte[]> ChunkBytes(string path, string column)
    {
        using var h = File.OpenHandle(path);
        return TextChunks(path, column).Select(c =>
        {
            var bytes = new byte[c.Length];
            ParquetFooter.ReadExactly(h, bytes, c.Start);
            return bytes;
        }).ToList();
    }

    /// <summary>The compressed body of each row group's (single) text data page.</summary>
    static List<byte[]> TextPageBodies(string path) => ChunkBytes(path, "text").Select(chunk =>
    {
        var pos = 0;
        var header = ThriftCompact.Read(chunk, ref pos);
        Assert.Equal(T.PageData, header.I32(T.PageHeader.Type));
        return chunk[pos..(pos + header.I32(T.PageHeader.CompressedPageSize)!.Value)];
    }).ToList();
}
