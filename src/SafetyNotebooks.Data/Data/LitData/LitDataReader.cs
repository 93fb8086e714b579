using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;

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

    public static LitDataReader Open(string dir)
    {
        var indexPath = Path.Combine(dir, LitDataFormat.IndexFile);
        if (!File.Exists(indexPath)) throw new BadInputException("not a LitData dataset (no index.json)", dir);
        JsonObject index;
        try { index = JsonNode.Parse(File.ReadAllText(indexPath))?.AsObject() ?? throw new JsonException("empty"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new BadInputException($"not JSON: {e.Message}", indexPath); }
        var config = index["config"] as JsonObject ?? throw new BadInputException("missing", indexPath, "config");
        var loader = config["item_loader"]?.GetValue<string>();
        if (loader != LitDataFormat.ItemLoader) throw new BadInputException("only TokensLoader datasets are supported", indexPath, "config.item_loader", loader ?? "null");
        var format = (config["data_format"] as JsonArray)?.Select(f => f?.GetValue<string>()).ToArray() ?? [];
        if (format is not [LitDataFormat.DataFormat]) throw new BadInputException("only int32 token tensors (no_header_tensor:16) are supported", indexPath, "config.data_format", string.Join(",", format));
        if (config["compression"] is JsonValue c && c.GetValueKind() != JsonValueKind.Null) throw new BadInputException("compressed chunks are not supported", indexPath, "config.compression", c.ToJsonString());
        var chunks = (index["chunks"] as JsonArray ?? throw new BadInputException("missing", indexPath, "chunks")).Select((n, i) =>
        {
            var name = n?["filename"]?.GetValue<string>() ?? throw new BadInputException("missing", indexPath, $"chunks[{i}].filename");
            var path = SafePath.Combine(dir, name, indexPath);
            var chunk = new LitDataChunk(name, n["chunk_bytes"]!.GetValue<long>(), n["chunk_size"]!.GetValue<int>(), n["dim"]!.GetValue<long>());
            if (!File.Exists(path)) throw new BadInputException("chunk file missing", indexPath, $"chunks[{i}].filename", name);
            var size = new FileInfo(path).Length;
            if (size != chunk.ChunkBytes) throw new BadInputException($"chunk file is {size} bytes, index says {chunk.ChunkBytes}", indexPath, $"chunks[{i}].chunk_bytes", chunk.ChunkBytes.ToString());
            return chunk;
        }).ToList();
        return new LitDataReader(dir, chunks, config["chunk_bytes"]?.GetValue<long>() ?? 0);
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
