using System.Text.Json;

namespace SafetyNotebooks.Notebooks.Jupyter;

/// <summary>
/// The connection file a Jupyter client writes before it starts a kernel: where the five sockets bind and the key
/// that signs every message.
/// </summary>
public sealed record ConnectionInfo(
    string Transport, string Ip, int ShellPort, int IopubPort, int StdinPort, int ControlPort, int HbPort,
    string Key, string SignatureScheme)
{
    public string Address(int port) => $"{Transport}://{Ip}:{port}";

    /// <summary>Reads a connection file; anything missing or unsupported is <see cref="BadInputException"/> naming the field.</summary>
    public static ConnectionInfo Load(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("connection file not found", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return Parse(doc.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new BadInputException($"not valid JSON: {e.Message}", path, inner: e);
        }
    }

    public static ConnectionInfo Parse(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new BadInputException("expected a JSON object", source);
        string Text(string field, string? fallback = null) =>
            root.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : fallback ?? throw new BadInputException("missing or not a string", source, field);
        int Port(string field) =>
            root.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var p) && p is > 0 and < 65536 ? p
            : throw new BadInputException("missing or not a TCP port", source, field, root.TryGetProperty(field, out var bad) ? bad.GetRawText() : null);

        var transport = Text("transport", "tcp");
        if (transport != "tcp") throw new BadInputException("only the tcp transport is supported", source, "transport", transport);
        var key = Text("key", "");
        var scheme = Text("signature_scheme", "hmac-sha256");
        if (key.Length > 0 && scheme != "hmac-sha256")
            throw new BadInputException("only hmac-sha256 signatures are supported", source, "signature_scheme", scheme);
        return new ConnectionInfo(transport, Text("ip", "127.0.0.1"), Port("shell_port"), Port("iopub_port"), Port("stdin_port"),
            Port("control_port"), Port("hb_port"), key, scheme);
    }
}
