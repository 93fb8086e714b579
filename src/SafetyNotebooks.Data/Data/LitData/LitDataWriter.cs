namespace SafetyNotebooks.Data.LitData;

/// <summary>What a LitData export wrote.</summary>
public sealed record LitDataExport(string Directory, IReadOnlyList<LitDataChunk> Chunks, long Documents, long Tokens);

/// <summary>
/// Writes token documents as a LitData optimized dataset. A chunk takes documents until the next one would push it
/// past the target <c>chunkBytes</c> (a single larger document gets a chunk of its own). Every chunk is written
/// atomically and index.json last, so a reader never sees a partial dataset; on failure the run's chunks are removed.
/// </summary>
public sealed class LitDataWriter
{
    readonly string dir;
    readonly long chunkBytes;
    readonly List<LitDataChunk> chunks = [];
    readonly List<int[]> pending = [];
    long pendingBytes, docs, tokens;

    LitDataWriter(string dir, long chunkBytes)
    {
        if (chunkBytes < 12) throw new BadInputException("must be at least 12 bytes", "--chunk-bytes", value: chunkBytes.ToString());
        Directory.CreateDirectory(dir);
        if (File.Exists(Path.Combine(dir, LitDataFormat.IndexFile)) || Directory.EnumerateFiles(dir, "chunk-*.bin").Any())
            throw new BadInputException("output folder already holds a LitData dataset; choose an empty folder", dir);
        this.dir = dir;
        this.chunkBytes = chunkBytes;
    }

    void Add(int[] doc)
    {
        var size = 4L * doc.Length;
        if (pending.Count > 0 && LitDataFormat.HeaderBytes(pending.Count + 1) + pendingBytes + size > chunkBytes) Flush();
        pending.Add(doc);
        pendingBytes += size;
        docs++;
        tokens += doc.Length;
    }

    void Flush()
    {
        if (pending.Count == 0) return;
        var name = LitDataFormat.ChunkFileName(chunks.Count);
        var bytes = LitDataFormat.ChunkBytesOf(pending);
        AtomicFile.WriteAllBytes(Path.Combine(dir, name), bytes);
        chunks.Add(new LitDataChunk(name, bytes.LongLength, pending.Count, pending.Sum(d => (long)d.Length)));
        pending.Clear();
        pendingBytes = 0;
    }

    LitDataExport Complete(DateTimeOffset? updatedAt)
    {
        Flush();
        var time = LitDataFormat.PythonTime(updatedAt ?? DateTimeOffset.UtcNow);
        AtomicFile.WriteAllText(Path.Combine(dir, LitDataFormat.IndexFile), LitDataFormat.IndexJson(chunks, chunkBytes, time));
        return new LitDataExport(dir, chunks.ToList(), docs, tokens);
    }

    void Abandon()
    {
        foreach (var c in chunks) File.Delete(Path.Combine(dir, c.Filename));
    }

    public static LitDataExport Write(string dir, IEnumerable<int[]> documents, long chunkBytes = LitDataFormat.DefaultChunkBytes,
        DateTimeOffset? updatedAt = null, CancellationToken ct = default)
    {
        var w = new LitDataWriter(dir, chunkBytes);
        try
        {
            foreach (var doc in documents)
            {
                ct.ThrowIfCancellationRequested();
                w.Add(doc);
            }
            return w.Complete(updatedAt);
        }
        catch
        {
            w.Abandon();
            throw;
        }
    }

    public static async Task<LitDataExport> WriteAsync(string dir, IAsyncEnumerable<int[]> documents, long chunkBytes = LitDataFormat.DefaultChunkBytes,
        DateTimeOffset? updatedAt = null, CancellationToken ct = default)
    {
        var w = new LitDataWriter(dir, chunkBytes);
        try
        {
            await foreach (var doc in documents.WithCancellation(ct)) w.Add(doc);
            return w.Complete(updatedAt);
        }
        catch
        {
            w.Abandon();
            throw;
        }
    }
}
