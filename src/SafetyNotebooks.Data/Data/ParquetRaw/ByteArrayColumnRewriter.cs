using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Microsoft.Win32.SafeHandles;
using T = SafetyNotebooks.Data.ParquetRaw.ParquetThrift;

namespace SafetyNotebooks.Data.ParquetRaw;

/// <summary>
/// Rewrites the values of one BYTE_ARRAY column of a Parquet file at the byte level, the change passed in per row group
/// (<see cref="PrepareRowGroup"/>, <see cref="IRowGroupRewrite"/>). Every other column chunk is copied as it is
/// (compressed pages untouched, offsets shifted in the footer); the column's pages are rewritten by
/// <see cref="ByteArrayChunkRewriter"/> as PLAIN data pages v1 with the input's codec, its statistics, dictionary,
/// page-index and bloom-filter references dropped; an added int32 column is written as one PLAIN page per row group.
/// Row groups without rows are dropped; key-value metadata (an <c>ARROW:schema</c> entry would no longer match) too.
/// Up to <c>threads</c> row groups are rewritten at once and written in order, so the bytes do not depend on it.
/// </summary>
public static class ByteArrayColumnRewriter
{
    /// <summary>
    /// Rewrites <paramref name="input"/> into <paramref name="target"/> (atomically), or reports why the file needs
    /// the general path: what the byte level does not handle (<see cref="NotSupportedException"/>, among them
    /// <see cref="ParquetRawUnsupportedException"/>) and what it cannot make sense of (the general path then reports
    /// the problem in its own words) are caught here, and only here. Other errors (bad input found by the rewrite) throw.
    /// </summary>
    public static async Task<RewriteOutcome> TryRewriteAsync(string input, string target, ColumnRewriteSpec spec, PrepareRowGroup prepare,
        int threads = 1, ConcurrentBag<RewriteBuffers>? pool = null, CancellationToken ct = default)
    {
        try
        {
            ParquetFooter footer;
            using (var handle = File.OpenHandle(input)) footer = ParquetFooter.Read(handle);
            var layout = ColumnRewriteLayout.Of(footer, spec);
            return RewriteOutcome.Done(await RewriteAsync(input, target, layout, prepare, threads, pool, ct));
        }
        catch (Exception e) when (e is NotSupportedException or InvalidDataException or OverflowException)
        {
            return RewriteOutcome.FellBack(e.Message);
        }
    }

    /// <summary>
    /// Rewrites a file whose <paramref name="layout"/> was found; returns the rows written. Working buffers are taken
    /// from and returned to <paramref name="pool"/>.
    /// </summary>
    static async Task<long> RewriteAsync(string input, string target, ColumnRewriteLayout layout, PrepareRowGroup prepare,
        int threads, ConcurrentBag<RewriteBuffers>? pool, CancellationToken ct)
    {
        var workers = Enumerable.Range(0, Math.Max(1, threads)).Select(_ => pool is not null && pool.TryTake(out var b) ? b : new RewriteBuffers()).ToArray();
        try
        {
            using var file = File.OpenHandle(input);
            var contexts = RowGroupContexts(layout.Footer.Metadata);
            long rows = 0;
            var outGroups = new List<TValue>();
            await AtomicFile.WriteAsync(target, async stream =>
            {
                var output = new CountingOutput(stream, ct);
                await output.WriteAsync(ParquetFooter.Magic.ToArray());
                for (var first = 0; first < contexts.Count; first += workers.Length)
                {
                    ct.ThrowIfCancellationRequested();
                    var wave = await PrepareWaveAsync(contexts.Skip(first).Take(workers.Length), prepare, ct);
                    RewriteWave(file, layout, wave, workers, ct);
                    for (var w = 0; w < wave.Count; w++)
                    {
                        outGroups.Add(await EmitRowGroupAsync(output, file, layout, wave[w], workers[w], workers[0].Copy, outGroups.Count));
                        rows += wave[w].Context.Rows;
                    }
                }
                await output.WriteAsync(ParquetFooter.Serialize(OutputMetadata(layout, outGroups, rows)));
            });
            return rows;
        }
        finally
        {
            foreach (var w in workers)
                if (pool is not null) pool.Add(w); else w.Dispose();
        }
    }

    /// <summary>A stream that knows how many bytes were written to it: the offsets the footer records.</summary>
    sealed class CountingOutput(Stream stream, CancellationToken ct)
    {
        public long Offset { get; private set; }

        public async Task WriteAsync(ReadOnlyMemory<byte> bytes)
        {
            await stream.WriteAsync(bytes, ct);
            Offset += bytes.Length;
        }
    }

    /// <summary>One row group of a wave: its footer entry and rewrite, and (filled by <see cref="RewriteRowGroup"/>) what rewriting produced.</summary>
    sealed class GroupWork(TStruct rowGroup, RowGroupContext context, IRowGroupRewrite rewrite)
    {
        public TStruct RowGroup => rowGroup;
        public RowGroupContext Context => context;
        public IRowGroupRewrite Rewrite => rewrite;
        public List<TStruct> Columns { get; } = rowGroup.List(T.RowGroup.Columns)!.Items.Cast<TStruct>().ToList();
        public int Codec;
        public (long Uncompressed, long Compressed) ColumnSizes, AddedSizes;
    }

    static List<(TStruct RowGroup, RowGroupContext Context)> RowGroupContexts(TStruct meta)
    {
        var result = new List<(TStruct, RowGroupContext)>();
        long firstRow = 0;
        foreach (var rg in ColumnRewriteLayout.RowGroups(meta))
        {
            var rows = checked((int)(rg.I64(T.RowGroup.NumRows) ?? 0));
            if (rows < 0) throw new InvalidDataException($"a row group of {rows} rows");
            result.Add((rg, new RowGroupContext(result.Count, firstRow, rows)));
            firstRow += rows;
        }
        return result;
    }

    /// <summary>The next row groups' rewrites, made in order (a caller may read other columns alongside); empty row groups are dropped.</summary>
    static async Task<List<GroupWork>> PrepareWaveAsync(IEnumerable<(TStruct RowGroup, RowGroupContext Context)> groups, PrepareRowGroup prepare, CancellationToken ct)
    {
        var wave = new List<GroupWork>();
        foreach (var (rg, context) in groups)
        {
            var rewrite = await prepare(context, ct);
            if (context.Rows > 0) wave.Add(new GroupWork(rg, context, rewrite));    // the general path writes no empty row groups either
        }
        return wave;
    }

    static void RewriteWave(SafeFileHandle file, ColumnRewriteLayout layout, List<GroupWork> wave, RewriteBuffers[] workers, CancellationToken ct)
    {
        try
        {
            Parallel.For(0, wave.Count, new ParallelOptions { MaxDegreeOfParallelism = workers.Length, CancellationToken = ct },
                w => RewriteRowGroup(file, layout, wave[w], workers[w]));
        }
        catch (AggregateException e)
        {
            // one row group's problem, as such: an unsupported page means falling back, bad input exit code 2
            ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
        }
    }

    /// <summary>The column's chunk of one row group rewritten into <c>state.Out</c>, and the added column's page into <c>state.Added</c>.</summary>
    static void RewriteRowGroup(SafeFileHandle file, ColumnRewriteLayout layout, GroupWork g, RewriteBuffers state)
    {
        var cm = g.Columns[layout.ColumnLeaf].Struct(T.ColumnChunk.MetaData)!;
        g.Codec = cm.I32(T.ColumnMetaData.Codec)!.Value;
        ReadChunk(file, cm, state.Chunk);
        using var codec = new PageCodec(g.Codec);
        g.ColumnSizes = ByteArrayChunkRewriter.Rewrite(state, codec, layout.Spec.Column, cm.I64(T.ColumnMetaData.NumValues) ?? -1, g.Context.Rows, g.Rewrite);
        if (layout.Spec.AddedInt32Column is null) return;
        var added = g.Rewrite.AddedValues;
        if (added.Length != g.Context.Rows)
            throw new InvalidOperationException($"{added.Length} values of {layout.Spec.AddedInt32Column} for a row group of {g.Context.Rows} rows");
        g.AddedSizes = AddedInt32Column.EncodePage(state, codec, added);
    }

    static void ReadChunk(SafeFileHandle file, TStruct cm, ByteBuffer buffer)
    {
        var (start, length) = ColumnRewriteLayout.ChunkRange(cm);
        buffer.Clear();
        ParquetFooter.ReadExactly(file, buffer.GetSpan(checked((int)length))[..(int)length], start);
        buffer.Advance((int)length);
    }

    /// <summary>One row group's chunks written in the input's order (the added column in its place); returns its footer entry.</summary>
    static async Task<TStruct> EmitRowGroupAsync(CountingOutput output, SafeFileHandle file, ColumnRewriteLayout layout, GroupWork g, RewriteBuffers state,
        ByteBuffer copy, int ordinal)
    {
        var outColumns = new List<TValue>(g.Columns.Count + 1);
        var groupStart = output.Offset;
        for (var i = 0; i < g.Columns.Count; i++)
        {
            if (i == layout.AddedLeaf) continue;   // written after the others, in its place
            var chunk = g.Columns[i];
            if (i == layout.ColumnLeaf)
            {
                outColumns.Add(Rewritten(chunk, output.Offset, g.ColumnSizes));
                await output.WriteAsync(state.Out.WrittenMemory);
                continue;
            }
            ReadChunk(file, chunk.Struct(T.ColumnChunk.MetaData)!, copy);
            outColumns.Add(Shifted(chunk, output.Offset - ColumnRewriteLayout.ChunkRange(chunk.Struct(T.ColumnChunk.MetaData)!).Start));
            await output.WriteAsync(copy.WrittenMemory);
        }
        if (layout.Spec.AddedInt32Column is { } name)
        {
            var added = AddedInt32Column.Chunk(name, g.Codec, g.Context.Rows, g.AddedSizes, output.Offset);
            await output.WriteAsync(state.Added.WrittenMemory);
            if (layout.AddedLeaf is { } at) outColumns.Insert(at, added); else outColumns.Add(added);
        }
        return RowGroupEntry(g.RowGroup, outColumns, groupStart, output.Offset, ordinal);
    }

    static TStruct RowGroupEntry(TStruct rg, List<TValue> columns, long start, long end, int ordinal)
    {
        var uncompressed = columns.Sum(c => ((TStruct)c).Struct(T.ColumnChunk.MetaData)!.I64(T.ColumnMetaData.TotalUncompressedSize) ?? 0);
        var result = rg.With(T.RowGroup.Columns, new TList(TType.Struct, columns)).With(T.RowGroup.TotalByteSize, uncompressed);
        if (rg.Has(T.RowGroup.FileOffset)) result = result.With(T.RowGroup.FileOffset, start);
        if (rg.Has(T.RowGroup.TotalCompressedSize)) result = result.With(T.RowGroup.TotalCompressedSize, end - start);
        if (rg.Has(T.RowGroup.Ordinal)) result = result.With(T.RowGroup.Ordinal, new TI16(checked((short)ordinal)));
        return result;
    }

    // the rewritten chunk: new place and sizes, PLAIN values; statistics, dictionary, index and bloom references dropped
    static TStruct Rewritten(TStruct chunk, long offset, (long Uncompressed, long Compressed) sizes)
    {
        var cm = chunk.Struct(T.ColumnChunk.MetaData)!
            .Without(T.ColumnMetaData.IndexPageOffset, T.ColumnMetaData.DictionaryPageOffset, T.ColumnMetaData.Statistics, T.ColumnMetaData.EncodingStats,
                T.ColumnMetaData.BloomFilterOffset, T.ColumnMetaData.BloomFilterLength, T.ColumnMetaData.SizeStatistics, T.ColumnMetaData.GeospatialStatistics)
            .With(T.ColumnMetaData.Encodings, new TList(TType.I32, [new TI32(T.EncodingPlain), new TI32(T.EncodingRle)]))
            .With(T.ColumnMetaData.TotalUncompressedSize, sizes.Uncompressed)
            .With(T.ColumnMetaData.TotalCompressedSize, sizes.Compressed)
            .With(T.ColumnMetaData.DataPageOffset, offset);
        return WithoutPageIndex(chunk).With(T.ColumnChunk.FileOffset, offset).With(T.ColumnChunk.MetaData, cm);
    }

    // a copied chunk: every offset into the data moves by delta; page-index and bloom-filter bytes are not copied, so their references go
    static TStruct Shifted(TStruct chunk, long delta)
    {
        var cm = chunk.Struct(T.ColumnChunk.MetaData)!.Without(T.ColumnMetaData.BloomFilterOffset, T.ColumnMetaData.BloomFilterLength);
        foreach (var id in new[] { T.ColumnMetaData.DataPageOffset, T.ColumnMetaData.IndexPageOffset, T.ColumnMetaData.DictionaryPageOffset })
            if (cm.I64(id) is { } o && o > 0) cm = cm.With(id, o + delta);
        var result = WithoutPageIndex(chunk).With(T.ColumnChunk.MetaData, cm);
        return chunk.I64(T.ColumnChunk.FileOffset) is { } f && f > 0 ? result.With(T.ColumnChunk.FileOffset, f + delta) : result;
    }

    static TStruct WithoutPageIndex(TStruct chunk) =>
        chunk.Without(T.ColumnChunk.OffsetIndexOffset, T.ColumnChunk.OffsetIndexLength, T.ColumnChunk.ColumnIndexOffset, T.ColumnChunk.ColumnIndexLength);

    /// <summary>
    /// The output footer: the input's with the new row groups, the added column in the schema (and column orders), and
    /// no key-value metadata (an <c>ARROW:schema</c> entry would no longer match; the general path writes none either).
    /// </summary>
    static TStruct OutputMetadata(ColumnRewriteLayout layout, List<TValue> rowGroups, long rows)
    {
        var meta = layout.Footer.Metadata;
        var result = meta.Without(T.FileMetaData.KeyValueMetadata)
            .With(T.FileMetaData.NumRows, rows)
            .With(T.FileMetaData.RowGroups, new TList(TType.Struct, rowGroups));
        return layout.Spec.AddedInt32Column is { } name ? WithAddedColumn(result, layout, name) : result;
    }

    static TStruct WithAddedColumn(TStruct meta, ColumnRewriteLayout layout, string name)
    {
        var schema = meta.List(T.FileMetaData.Schema)!.Items.ToList();
        if (layout.AddedElement is { } e) schema[e] = AddedInt32Column.SchemaElement(name);
        else
        {
            var root = (TStruct)schema[0];
            schema[0] = root.With(T.SchemaElement.NumChildren, (root.I32(T.SchemaElement.NumChildren) ?? 0) + 1);
            schema.Add(AddedInt32Column.SchemaElement(name));
        }
        var result = meta.With(T.FileMetaData.Schema, new TList(TType.Struct, schema));
        if (meta.List(T.FileMetaData.ColumnOrders) is not { } orders) return result;
        var list = orders.Items.ToList();
        var typeOrder = new TStruct([new(1, TStruct.Empty)]);
        if (layout.AddedLeaf is { } at && at < list.Count) list[at] = typeOrder; else list.Add(typeOrder);
        return result.With(T.FileMetaData.ColumnOrders, new TList(TType.Struct, list));
    }
}
