using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SafetyNotebooks.Data.LitData;

/// <summary>One chunk's entry in LitData's index.json.</summary>
/// <param name="ChunkBytes">The chunk file's real size in bytes (readers wait until the file is this big).</param>
/// <param name="ChunkSize">Number of items (documents) in the chunk.</param>
/// <param name="Dim">Total number of tokens in the chunk.</param>
public sealed record LitDataChunk(string Filename, long ChunkBytes, int ChunkSize, long Dim);

/// <summary>
/// LitData's "optimized dataset" for token streams, as <c>litgpt pretrain --data LitData</c> reads it with
/// TokensLoader (PRETRAINING.md §1.7): <c>chunk-0-{i}.bin</c> files holding a uint32 item count, uint32[N+1] absolute
/// item offsets and the items' int32 tokens (little-endian, no per-item header), plus an <c>index.json</c>.
/// </summary>
public static class LitDataFormat
{
    public const string IndexFile = "index.json";
    public const string DataFormat = "no_header_tensor:16"; // 16 = torch.int32 in litdata's _TORCH_DTYPES_MAPPING
    public const string ItemLoader = "TokensLoader";
    public const string DataSpec = "[1, {\"type\": null, \"context\": null, \"children_spec\": []}]";
    public const long DefaultChunkBytes = 50_000_000;

    public static string ChunkFileName(int index) => $"chunk-0-{index}.bin";

    /// <summary>Header bytes of a chunk with <paramref name="items"/> items.</summary>
    public static long HeaderBytes(int items) => 4L * (items + 2);

    /// <summary>
    /// index.json exactly as litdata writes it: Python's <c>json.dump(sort_keys=True)</c> layout (", " and ": "
    /// separators), the TokensLoader config block, and <paramref name="updatedAt"/> (<c>str(time.time())</c>).
    /// </summary>
    public static string IndexJson(IReadOnlyList<LitDataChunk> chunks, long chunkBytes, string updatedAt)
    {
        var sb = new StringBuilder("{\"chunks\": [");
        for (var i = 0; i < chunks.Count; i++)
        {
            var c = chunks[i];
            if (i > 0) sb.Append(", ");
            sb.Append(CultureInfo.InvariantCulture, $"{{\"chunk_bytes\": {c.ChunkBytes}, \"chunk_size\": {c.ChunkSize}, \"dim\": {c.Dim}, \"filename\": {PyString(c.Filename)}}}");
        }
        sb.Append("], \"config\": {");
        sb.Append(CultureInfo.InvariantCulture, $"\"chunk_bytes\": {chunkBytes}, \"chunk_size\": null, \"compression\": null, ");
        sb.Append($"\"data_format\": [{PyString(DataFormat)}], \"data_spec\": {PyString(DataSpec)}, \"encryption\": null, ");
        sb.Append($"\"item_loader\": {PyString(ItemLoader)}}}, \"updated_at\": {PyString(updatedAt)}}}");
        return sb.ToString();
    }

    // Python's json.dumps escaping of ASCII strings (ensure_ascii): quotes and backslashes escaped.
    static string PyString(string s) => JsonSerializer.Serialize(s, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary><c>str(time.time())</c> for a moment in time.</summary>
    public static string PythonTime(DateTimeOffset t)
    {
        var text = ((t - DateTimeOffset.UnixEpoch).Ticks / 1e7).ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text : text + ".0";
    }

    /// <summary>Serializes one chunk: count, offsets, tokens.</summary>
    public static byte[] ChunkBytesOf(IReadOnlyList<int[]> items)
    {
        var header = HeaderBytes(items.Count);
        var total = header + items.Sum(d => 4L * d.Length);
        if (total > uint.MaxValue) throw new InvalidOperationException($"a chunk of {total} bytes does not fit LitData's uint32 offsets");
        var bytes = new byte[total];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)items.Count);
        var offset = header;
        var at = header;
        for (var i = 0; i < items.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[(4 + 4 * i)..], (uint)offset);
            offset += 4L * items[i].Length;
            foreach (var token in items[i])
            {
                BinaryPrimitives.WriteInt32LittleEndian(span[(int)at..], token);
                at += 4;
            }
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[(4 + 4 * items.Count)..], (uint)offset);
        return bytes;
    }
}
