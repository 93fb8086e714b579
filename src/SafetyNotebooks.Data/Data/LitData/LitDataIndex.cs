using System.Text.Json;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Data.LitData;

/// <summary>
/// A LitData split's <c>index.json</c>, parsed and checked once for every reader of it (the toolkit's
/// <see cref="LitDataReader"/> and the launcher's LitDataFolder): a TokensLoader dataset with one header-less tensor
/// format (<c>no_header_tensor:*</c> or <c>no_header_numpy:*</c>), no compression or litdata's <c>zstd</c>, and every
/// listed chunk present at its recorded size. What each reader can read on top of that it checks itself.
/// </summary>
public sealed record LitDataIndex(string Path, string DataFormat, string? Compression, long ChunkBytesTarget, IReadOnlyList<LitDataChunk> Chunks)
{
    /// <summary>The compressions litdata writes (its only registered compressor).</summary>
    public static IReadOnlySet<string> Compressions { get; } = new HashSet<string> { "zstd" };

    public long Tokens => Chunks.Sum(c => c.Dim);
    public long Bytes => Chunks.Sum(c => c.ChunkBytes);

    /// <summary>Reads <c>dir/index.json</c>; every problem is a <see cref="BadInputException"/> naming the file and field.</summary>
    public static LitDataIndex Read(string dir)
    {
        var path = System.IO.Path.Combine(dir, LitDataFormat.IndexFile);
        if (!File.Exists(path)) throw new BadInputException("not a LitData dataset (no index.json)", dir);
        JsonObject index;
        try { index = JsonNode.Parse(File.ReadAllBytes(path))?.AsObject() ?? throw new JsonException("empty"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new BadInputException($"not valid JSON: {e.Message}", path, inner: e); }
        var config = index["config"] as JsonObject ?? throw new BadInputException("missing the 'config' object of a LitData index", path, "config");
        var loader = Text(config["item_loader"]);
        if (loader != LitDataFormat.ItemLoader)
            throw new BadInputException("LitGPT pretraining reads token streams; the dataset must use TokensLoader", path, "config.item_loader", loader ?? "(missing)");
        var format = config["data_format"] is JsonArray { Count: 1 } f ? Text(f[0]) ?? "" : throw new BadInputException("expected a one-element data_format list", path, "config.data_format");
        if (!format.StartsWith("no_header_tensor:", StringComparison.Ordinal) && !format.StartsWith("no_header_numpy:", StringComparison.Ordinal))
            throw new BadInputException("expected a header-less token tensor format", path, "config.data_format", format);
        var compression = config["compression"] is JsonValue c && c.GetValueKind() != JsonValueKind.Null ? Text(c) ?? c.ToJsonString() : null;
        if (compression is not null && !Compressions.Contains(compression))
            throw new BadInputException("unknown chunk compression (litdata writes none or zstd)", path, "config.compression", compression);
        if (index["chunks"] is not JsonArray { Count: > 0 } chunks) throw new BadInputException("the index lists no chunks", path, "chunks");
        var list = chunks.Select((n, i) => Chunk(n, i, dir, path)).ToList();
        return new LitDataIndex(path, format, compression, Long(config["chunk_bytes"]) ?? 0, list);
    }

    static LitDataChunk Chunk(JsonNode? n, int i, string dir, string path)
    {
        var name = Text(n?["filename"]) ?? throw new BadInputException("missing", path, $"chunks[{i}].filename");
        var chunkPath = SafePath.Combine(dir, name, path);
        if (!File.Exists(chunkPath)) throw new BadInputException("chunk listed in the index is missing", path, $"chunks[{i}].filename", name);
        var expected = Long(n!["chunk_bytes"]) ?? throw new BadInputException("missing or not an integer", path, $"chunks[{i}].chunk_bytes");
        var actual = new FileInfo(chunkPath).Length;
        if (expected != actual)
            throw new BadInputException($"chunk is {actual} bytes but the index says {expected} (incomplete copy?)", path, $"chunks[{i}].chunk_bytes", name);
        var size = Long(n["chunk_size"]) is { } s and >= 0 and <= int.MaxValue ? (int)s : throw new BadInputException("missing or not a count", path, $"chunks[{i}].chunk_size");
        var dim = Long(n["dim"]) is { } d and >= 0 ? d : throw new BadInputException("missing or not a count", path, $"chunks[{i}].dim");
        return new LitDataChunk(name, expected, size, dim);
    }

    static string? Text(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    static long? Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;
}
