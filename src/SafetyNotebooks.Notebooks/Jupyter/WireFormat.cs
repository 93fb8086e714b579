using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Notebooks.Jupyter;

/// <summary>A message header (Jupyter messaging protocol 5.3).</summary>
public sealed record MessageHeader(string MsgId, string Session, string Username, string Date, string MsgType, string Version)
{
    public const string ProtocolVersion = "5.3";

    public static MessageHeader New(string msgType, string session) =>
        new(Guid.NewGuid().ToString("N"), session, "safetynb", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ"), msgType, ProtocolVersion);

    public JsonObject ToJson() => new()
    {
        ["msg_id"] = MsgId, ["session"] = Session, ["username"] = Username, ["date"] = Date, ["msg_type"] = MsgType, ["version"] = Version,
    };

    public static MessageHeader? FromJson(JsonNode? node) =>
        node is JsonObject o && o["msg_id"]?.GetValue<string>() is { } id && o["msg_type"]?.GetValue<string>() is { } type
            ? new MessageHeader(id, Str(o, "session"), Str(o, "username"), Str(o, "date"), type, o["version"]?.GetValue<string>() ?? ProtocolVersion)
            : null;

    static string Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}

/// <summary>
/// One Jupyter message. <see cref="Identities"/> are the ROUTER routing frames (or the PUB topic) that precede the
/// delimiter; <see cref="ParentHeader"/> is null for a message that answers nothing.
/// </summary>
public sealed record JupyterMessage(
    IReadOnlyList<byte[]> Identities, MessageHeader Header, MessageHeader? ParentHeader, JsonObject Metadata, JsonObject Content,
    IReadOnlyList<byte[]> Buffers)
{
    public string MsgType => Header.MsgType;

    /// <summary>A message answering <paramref name="parent"/>, routed back to the same client.</summary>
    public static JupyterMessage Reply(JupyterMessage parent, string msgType, JsonObject content) =>
        new(parent.Identities, MessageHeader.New(msgType, parent.Header.Session), parent.Header, new JsonObject(), content, []);

    /// <summary>An iopub broadcast caused by <paramref name="parent"/> (null: caused by nothing, e.g. the starting status).</summary>
    public static JupyterMessage Broadcast(JupyterMessage? parent, string session, string msgType, JsonObject content) =>
        new([Encoding.UTF8.GetBytes(msgType)], MessageHeader.New(msgType, session), parent?.Header, new JsonObject(), content, []);
}

/// <summary>What came off a socket: a message, or why it was refused.</summary>
public abstract record Decoded
{
    public sealed record Ok(JupyterMessage Message) : Decoded;
    public sealed record BadSignature(string MsgType) : Decoded;
    public sealed record Malformed(string Reason) : Decoded;
}

/// <summary>
/// The wire format: <c>[identities…, "&lt;IDS|MSG&gt;", hmac, header, parent_header, metadata, content, buffers…]</c>,
/// the HMAC-SHA256 (hex) taken over the four JSON frames with the connection file's key (no signature when the key is empty).
/// </summary>
public static class WireFormat
{
    public static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();

    public static string Sign(byte[] key, IEnumerable<byte[]> jsonFrames)
    {
        if (key.Length == 0) return "";
        using var hmac = new HMACSHA256(key);
        foreach (var frame in jsonFrames) hmac.TransformBlock(frame, 0, frame.Length, null, 0);
        hmac.TransformFinalBlock([], 0, 0);
        return Convert.ToHexStringLower(hmac.Hash!);
    }

    public static List<byte[]> Encode(JupyterMessage m, byte[] key)
    {
        byte[] Json(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());
        var parts = new[] { Json(m.Header.ToJson()), Json(m.ParentHeader?.ToJson() ?? new JsonObject()), Json(m.Metadata), Json(m.Content) };
        var frames = new List<byte[]>(m.Identities) { Delimiter, Encoding.ASCII.GetBytes(Sign(key, parts)) };
        frames.AddRange(parts);
        frames.AddRange(m.Buffers);
        return frames;
    }

    /// <summary>Checks the signature (constant-time) before parsing anything, so an unsigned message is never interpreted.</summary>
    public static Decoded Decode(IReadOnlyList<byte[]> frames, byte[] key)
    {
        var at = -1;
        for (var i = 0; i < frames.Count; i++)
            if (frames[i].AsSpan().SequenceEqual(Delimiter)) { at = i; break; }
        if (at < 0) return new Decoded.Malformed("no <IDS|MSG> delimiter");
        if (frames.Count < at + 6) return new Decoded.Malformed($"{frames.Count - at - 1} frames after the delimiter, expected at least 5");

        var parts = frames.Skip(at + 2).Take(4).ToArray();
        if (key.Length > 0)
        {
            var expected = Encoding.ASCII.GetBytes(Sign(key, parts));
            if (!CryptographicOperations.FixedTimeEquals(expected, frames[at + 1]))
                return new Decoded.BadSignature(PeekType(parts[0]));
        }
        try
        {
            var header = MessageHeader.FromJson(JsonNode.Parse(parts[0]));
            if (header is null) return new Decoded.Malformed("header lacks msg_id or msg_type");
            return new Decoded.Ok(new JupyterMessage(
                frames.Take(at).ToArray(), header, MessageHeader.FromJson(JsonNode.Parse(parts[1])),
                JsonNode.Parse(parts[2]) as JsonObject ?? new JsonObject(), JsonNode.Parse(parts[3]) as JsonObject ?? new JsonObject(),
                frames.Skip(at + 6).ToArray()));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return new Decoded.Malformed($"invalid JSON: {e.Message}");
        }
    }

    // Only for the log line of a refused message: which type it claimed to be.
    static string PeekType(byte[] header)
    {
        try { return JsonNode.Parse(header)?["msg_type"]?.GetValue<string>() ?? "?"; }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return "?"; }
    }
}
