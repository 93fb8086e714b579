using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Modeling;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>
/// The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data): the only
/// checkpoint format the toolkit reads by default, because unlike pickle it cannot run code. Tensors are read one at a
/// time from the file, never the whole file at once; offsets and sizes are checked against the header and file length.
/// </summary>
public static class Safetensors
{
    const long MaxHeaderBytes = 100_000_000;

    static readonly Dictionary<string, (ScalarType Type, int Size)> DTypes = new()
    {
        ["F64"] = (ScalarType.Float64, 8), ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1), ["U8"] = (ScalarType.Byte, 1), ["BOOL"] = (ScalarType.Bool, 1),
    };

    public static string DTypeName(ScalarType type) =>
        DTypes.FirstOrDefault(kv => kv.Value.Type == type).Key ?? throw new ArgumentException($"safetensors cannot store {type}");

    /// <summary>Reads and validates the header: entries sorted by data offset, and the <c>__metadata__</c> strings.</summary>
    public static (IReadOnlyList<SafetensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart) ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("file not found", path);
        using var fs = File.OpenRead(path);
        Span<byte> lenBytes = stackalloc byte[8];
        if (fs.Read(lenBytes) != 8) throw new BadInputException("too short to be a safetensors file", path);
        var headerLen = BinaryPrimitives.ReadInt64LittleEndian(lenBytes);
        if (headerLen <= 1 || headerLen > MaxHeaderBytes || 8 + headerLen > fs.Length)
            throw new BadInputException("invalid safetensors header length (is this a safetensors file?)", path, "header_length", headerLen.ToString());
        var header = new byte[headerLen];
        fs.ReadExactly(header);
        // System.Text.Json checks UTF-8 only when a string is read, which may be far from here: check it up front
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw new BadInputException("header is not valid UTF-8", path, "header");
        JsonObject root;
        try { root = JsonNode.Parse(header)?.AsObject() ?? throw new JsonException("empty header"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new BadInputException($"header is not a JSON object: {e.Message}", path, "header"); }

        var dataStart = 8 + headerLen;
        var dataLength = fs.Length - dataStart;
        var metadata = new Dictionary<string, string>();
        var entries = new List<SafetensorsEntry>();
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject m) foreach (var (k, v) in m) metadata[k] = v?.ToString() ?? "";
                continue;
            }
            if (node is not JsonObject o) throw new BadInputException("tensor entry is not an object", path, name);
            var dtype = o["dtype"]?.GetValue<string>() ?? throw new BadInputException("missing dtype", path, $"{name}.dtype");
            if (!DTypes.TryGetValue(dtype, out var dt)) throw new BadInputException("unsupported dtype", path, $"{name}.dtype", dtype);
            var shape = o["shape"]?.AsArray().Select(x => x!.GetValue<long>()).ToArray() ?? throw new BadInputException("missing shape", path, $"{name}.shape");
            var offsets = o["data_offsets"]?.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            if (offsets is not { Length: 2 }) throw new BadInputException("data_offsets must be [begin, end]", path, $"{name}.data_offsets");
            var expected = shape.Aggregate(1L, (a, b) => a * b) * dt.Size;
            if (shape.Any(s => s < 0) || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength || offsets[1] - offsets[0] != expected)
                throw new BadInputException($"offsets [{offsets[0]}, {offsets[1]}] do not fit shape [{string.Join(",", shape)}] of {dtype} in a data section of {dataLength} bytes", path, name);
            entries.Add(new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]));
        }
        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (var i = 1; i < entries.Count; i++)
            if (entries[i].Begin < entries[i - 1].End) throw new BadInputException($"tensor data overlaps {entries[i - 1].Name}", path, entries[i].Name);
        return (entries, metadata, dataStart);
    }

    /// <summary>
    /// Loads tensors (all, or those accepted by <paramref name="select"/>) onto the CPU, converted to <paramref name="convertTo"/>
    /// when given. The caller owns the returned tensors.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path, ScalarType? convertTo = null, Func<string, bool>? select = null)
    {
        var (entries, _, dataStart) = ReadHeader(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        foreach (var e in entries)
        {
            if (select is not null && !select(e.Name)) continue;
            var (type, _) = DTypes[e.DType];
            var t = empty(e.Shape, type);
            var bytes = new byte[e.End - e.Begin];
            fs.Position = dataStart + e.Begin;
            fs.ReadExactly(bytes);
            t.bytes = bytes;
            if (convertTo is { } target && target != type)
            {
                var converted = t.to_type(target);
                t.Dispose();
                t = converted;
            }
            result[e.Name] = t;
        }
        return result;
    }

    /// <summary>Writes tensors (any device; stored contiguous, little-endian) with optional metadata, atomically.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        var meta = new JsonObject();
        foreach (var (k, v) in metadata ?? new Dictionary<string, string> { ["format"] = "pt" }) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        var blobs = new List<byte[]>(names.Count);
        foreach (var name in names)
        {
            var t = tensors[name];
            using var cpu = t.detach().cpu().contiguous();
            var bytes = cpu.bytes.ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeName(cpu.dtype),
                ["shape"] = new JsonArray(cpu.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8; // data starts 8-byte aligned, as Hugging Face writes it
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(len, padded);
            s.Write(len);
            s.Write(json);
            for (var i = json.Length; i < padded; i++) s.WriteByte((byte)' ');
            foreach (var b in blobs) s.Write(b);
        });
    }
}
