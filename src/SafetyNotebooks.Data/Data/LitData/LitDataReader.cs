using System.Buffers.Binary;

namespace SafetyNotebooks.Data.LitData;

/// <summary>
/// Reads a LitData token dataset: the documents (items) of each chunk, or TokensLoader's view of it — per chunk,
/// the flat token array cut into blocks of <c>blockSize</c> (= T+1) tokens, the remainder dropped, blocks never
/// spanning chunks. Everything is validated against index.json (sizes, offsets, config).
/// </summary>
public sealed class LitDataReader
{
    public string Directory { get; }
    public IReadOnlyList<LitDataChunk> Chunks { get; }
    public long ChunkBytesTarget { get; }

    LitDataReader(string dir, IReadOnlyList<LitDataChunk> chunks, long target)
    {
        Directory = dir;
        Chunks = chunks;
        ChunkBytesTarget = target;
    }

    public long TotalTokens => Chunks.Sum(c => c.Dim);

    /// <summary>Opens a dataset this reader can decode: <see cref="LitDataIndex"/>'s checks plus int32 tensors, uncompressed.</summary>
    public static LitDataReader Open(string dir)
    {
        var index = LitDataIndex.Read(dir);
        if (index.DataFormat != LitDataFormat.DataFormat)
            throw new BadInputException("only int32 token tensors (no_header_tensor:16) are supported", index.Path, "config.data_format", index.DataFormat);
        if (index.Compression is { } c)
            throw new BadInputException("compressed chunks are not supported by the toolkit's reader (LitGPT reads them)", index.Path, "config.compression", c);
        return new LitDataReader(dir, index.Chunks, index.ChunkBytesTarget);
    }

    /// <summary>The token documents of one chunk, checked against the chunk's header and index entry.</summary>
    public IReadOnlyList<int[]> ReadItems(int chunk)
    {
        var c = Chunks[chunk];
        var path = SafePath.Combine(Directory, c.Filename);
        var bytes = File.ReadAllBytes(path);
        var span = bytes.AsSpan();
        var n = bytes.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(span) : throw new BadInputException("chunk too short", path);
        if (n != c.ChunkSize || LitDataFormat.HeaderBytes((int)n) > bytes.Length) throw new BadInputException($"chunk holds {n} items, index says {c.ChunkSize}", path, "chunk_size");
        var items = new List<int[]>((int)n);
        for (var i = 0; i < n; i++)
        {
            var begin = BinaryPrimitives.ReadUInt32LittleEndian(span[(4 + 4 * i)..]);
            var end = BinaryPrimitives.ReadUInt32LittleEndian(span[(8 + 4 * i)..]);
            if (i == 0 && begin != LitDataFormat.HeaderBytes((int)n)) throw new BadInputException("first offset does not follow the header", path, "offsets[0]", begin.ToString());
            if (end < begin || end > bytes.Length || (end - begin) % 4 != 0) throw new BadInputException("invalid item offsets", path, $"offsets[{i + 1}]", end.ToString());
            var tokens = new int[(end - begin) / 4];
            for (var k = 0; k < tokens.Length; k++) tokens[k] = BinaryPrimitives.ReadInt32LittleEndian(span[(int)(begin + 4 * k)..]);
            items.Add(tokens);
        }
        if (items.Sum(t => (long)t.Length) != c.Dim) throw new BadInputException("token count differs from the index", path, "dim", c.Dim.ToString());
        return items;
    }

    /// <summary>All documents in order.</summary>
    public IEnumerable<int[]> Items() => Enumerable.Range(0, Chunks.Count).SelectMany(ReadItems);

    /// <summary>Number of TokensLoader blocks of <paramref name="blockSize"/> tokens (per chunk, remainder dropped).</summary>
    public long BlockCount(int blockSize) => Chunks.Sum(c => c.Dim / blockSize);

    /// <summary>TokensLoader's blocks in dataset order: chunk by chunk, <c>dim / blockSize</c> blocks each.</summary>
    public IEnumerable<int[]> Blocks(int blockSize)
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize));
        for (var c = 0; c < Chunks.Count; c++)
        {
            var flat = ReadItems(c).SelectMany(t => t).ToArray();
            for (long b = 0; b < flat.Length / blockSize; b++) yield return flat.AsSpan((int)(b * blockSize), blockSize).ToArray();
        }
    }
}
