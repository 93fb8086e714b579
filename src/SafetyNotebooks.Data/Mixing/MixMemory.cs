namespace SafetyNotebooks.Mixing;

/// <summary>
/// The memory bound of <c>safetynb mix</c> (<c>--memory-mb</c>) and a meter of what was held: documents in memory at
/// once (counting batches, sort buckets and threshold samples) and the spill files written. A document's cost is an
/// estimate of its managed size (two bytes a character plus a fixed overhead); one document is always admitted even when
/// it alone exceeds the bound. Reading and writing Parquet add one input row group and one output row group on top.
/// </summary>
public sealed class MixMemory(long limitBytes)
{
    public const long DefaultMegabytes = 1024;

    long heldRows, heldBytes;

    /// <summary>The bound on the documents held at once, in (estimated) bytes.</summary>
    public long LimitBytes { get; } = limitBytes >= 1 ? limitBytes
        : throw new BadInputException("must be at least 1", "--memory-mb", value: limitBytes.ToString());

    public long PeakRows { get; private set; }
    public long PeakBytes { get; private set; }
    public int SpillFiles { get; private set; }

    public static MixMemory Megabytes(long mb) => mb >= 1 && mb <= 1L << 30 ? new MixMemory(mb << 20)
        : throw new BadInputException("must be in [1, 2^30]", "--memory-mb", value: mb.ToString());

    /// <summary>The estimated managed size of a document's strings.</summary>
    public static long Cost(Data.Document d) => 2L * (d.Text.Length + d.Id.Length) + 160;

    /// <summary>True when <paramref name="bytes"/> more may be held now (always for the first document).</summary>
    public bool Fits(long bytes) => heldRows == 0 || heldBytes + bytes <= LimitBytes;

    public void Hold(long rows, long bytes)
    {
        lock (this)
        {
            heldRows += rows; heldBytes += bytes;
            PeakRows = Math.Max(PeakRows, heldRows); PeakBytes = Math.Max(PeakBytes, heldBytes);
        }
    }

    public void Release(long rows, long bytes) { lock (this) { heldRows -= rows; heldBytes -= bytes; } }

    internal void CountSpillFile() => SpillFiles++;
}
