using System.Buffers;

namespace SafetyNotebooks.Data.ParquetRaw;

/// <summary>What a rewrite does with one value: keeps it as it is, or replaces it by the bytes it wrote.</summary>
public enum ValueRewrite : byte { Unchanged, Replaced }

/// <summary>
/// How the values of one row group change, made by the caller for each row group (<see cref="PrepareRowGroup"/>) and
/// called by one thread, in row order, for every present (non-null) value.
/// </summary>
public interface IRowGroupRewrite
{
    /// <summary>
    /// Writes the new bytes of the value in row <paramref name="row"/> (its index in the row group) to
    /// <paramref name="output"/> and returns <see cref="ValueRewrite.Replaced"/>, or returns
    /// <see cref="ValueRewrite.Unchanged"/>: the value stays as it is and whatever was written is dropped.
    /// </summary>
    ValueRewrite Rewrite(ReadOnlySpan<byte> value, int row, IBufferWriter<byte> output);

    /// <summary>
    /// The values of the added int32 column (<see cref="ColumnRewriteSpec.AddedInt32Column"/>), one per row, asked
    /// once after the row group's last value; not asked when the spec adds no column.
    /// </summary>
    ReadOnlySpan<int> AddedValues => [];
}

/// <summary>A rewrite that keeps every value (for row groups a caller has nothing to change in).</summary>
public sealed class KeepValues : IRowGroupRewrite
{
    public static readonly KeepValues Instance = new();
    public ValueRewrite Rewrite(ReadOnlySpan<byte> value, int row, IBufferWriter<byte> output) => ValueRewrite.Unchanged;
}

/// <summary>One row group of the input: its index, the file row of its first row, and its row count.</summary>
public readonly record struct RowGroupContext(int Index, long FirstRow, int Rows);

/// <summary>
/// Makes the rewrite of one row group. Called for every row group of the file in order, empty ones included (so a
/// caller reading other columns alongside, one batch per row group, stays in step), before its values are rewritten.
/// </summary>
public delegate ValueTask<IRowGroupRewrite> PrepareRowGroup(RowGroupContext rowGroup, CancellationToken ct);

/// <summary>
/// What the byte-level rewriter changes: the values of <paramref name="Column"/> (a top-level optional BYTE_ARRAY
/// column) and, when <paramref name="AddedInt32Column"/> is set, an optional int32 column of that name written with
/// one value per row, in place of an existing top-level leaf of that name or as the last column.
/// </summary>
public sealed record ColumnRewriteSpec(string Column, string? AddedInt32Column = null);

/// <summary>
/// What the byte-level rewrite of one file did: the rows it wrote, or why the file needs the general path (then
/// nothing was written). This is the one way a fall-back is reported.
/// </summary>
public sealed record RewriteOutcome(long Rows, string? FallbackReason)
{
    public bool Rewritten => FallbackReason is null;
    public static RewriteOutcome Done(long rows) => new(rows, null);
    public static RewriteOutcome FellBack(string reason) => new(0, reason);
}

/// <summary>The working buffers of one rewriting thread, reusable from one file to the next (large buffers are costly to allocate).</summary>
public sealed class RewriteBuffers : IDisposable
{
    internal readonly ByteBuffer Chunk = new(1 << 20), Copy = new(1 << 20), Out = new(1 << 20), Page = new(1 << 20),
        Plain = new(1 << 20), Compressed = new(1 << 20), Dictionary = new(1 << 16), Added = new(1 << 16);
    internal int[] Levels = [], Indices = [];

    public void Dispose()
    {
        foreach (var b in new[] { Chunk, Copy, Out, Page, Plain, Compressed, Dictionary, Added }) b.Dispose();
    }
}
