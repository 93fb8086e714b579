using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet.Serialization;

namespace SafetyNotebooks.Evaluation;

/// <summary>One record of an input file, with where it came from (for error messages).</summary>
public sealed record TableRow(string File, int Number, JsonObject Fields)
{
    /// <summary>"file, row N" — the prefix of every message about this row.</summary>
    public string Where => $"{File}, row {Number}";

    /// <summary>The first present, non-blank string among <paramref name="names"/>, or null.</summary>
    public string? OptionalString(params string[] names)
    {
        foreach (var name in names)
            if (Fields.TryGetPropertyValue(name, out var node) && node is not null)
                return node.GetValueKind() switch
                {
                    JsonValueKind.String => node.GetValue<string>() is { } s && !string.IsNullOrWhiteSpace(s) ? s : null,
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => node.ToJsonString(),
                    _ => throw new BadInputException("expected a string", Where, name, node.ToJsonString()),
                };
        return null;
    }

    /// <summary>The first present, non-blank string among <paramref name="names"/>; bad input naming the first name otherwise.</summary>
    public string RequiredString(params string[] names) =>
        OptionalString(names) ?? throw new BadInputException(
            names.Length == 1 ? "missing or empty" : $"missing or empty (also looked for {string.Join(", ", names.Skip(1))})", Where, names[0]);

    /// <summary>A present node or bad input.</summary>
    public JsonNode Required(string name) =>
        Fields.TryGetPropertyValue(name, out var node) && node is not null ? node : throw new BadInputException("missing", Where, name);
}

/// <summary>
/// Reads the record files evaluation takes — JSONL, a JSON array, CSV (header row, RFC 4180 quoting) or Parquet —
/// into uniform rows. Numbers are 1-based: the line for JSONL, the record after the header for CSV, the element for
/// JSON and the row for Parquet.
/// </summary>
public static class TableRows
{
    public static async Task<IReadOnlyList<TableRow>> ReadAsync(string path, CancellationToken cancel = default)
    {
        if (!File.Exists(path)) throw new BadInputException("file not found", path);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".jsonl" or ".ndjson" => ReadJsonLines(path),
            ".json" => ReadJsonArray(path),
            ".csv" => ReadCsv(path),
            ".parquet" => await ReadParquetAsync(path, cancel),
            _ => throw new BadInputException("unknown file type (expected .jsonl, .json, .csv or .parquet)", path, "extension", ext),
        };
    }

    static List<TableRow> ReadJsonLines(string path)
    {
        var rows = new List<TableRow>();
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            rows.Add(new TableRow(path, n, ParseObject(line, $"{path}, line {n}")));
        }
        return rows;
    }

    static List<TableRow> ReadJsonArray(string path)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new BadInputException($"not valid JSON: {e.Message}", path, inner: e); }
        // A JSON file is either an array of records or {"data": [...]}, the other common export layout.
        var array = root as JsonArray ?? (root as JsonObject)?["data"] as JsonArray
            ?? throw new BadInputException("expected a JSON array of objects (or an object with a \"data\" array)", path);
        return array.Select((node, i) => new TableRow(path, i + 1,
            node as JsonObject ?? throw new BadInputException("expected an object", $"{path}, row {i + 1}", value: node?.ToJsonString() ?? "null"))).ToList();
    }

    static JsonObject ParseObject(string text, string where)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new BadInputException("expected a JSON object", where, value: text);
        }
        catch (JsonException e)
        {
            throw new BadInputException($"not valid JSON: {e.Message}", where, value: text, inner: e);
        }
    }

    static List<TableRow> ReadCsv(string path)
    {
        var records = Csv.Parse(File.ReadAllText(path, Encoding.UTF8), path).ToList();
        if (records.Count == 0) throw new BadInputException("empty CSV (expected a header row)", path);
        var header = records[0];
        var duplicate = header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new BadInputException("duplicate column in the header", path, "header", duplicate.Key);
        var rows = new List<TableRow>();
        for (var r = 1; r < records.Count; r++)
        {
            var rec = records[r];
            if (rec.Count == 1 && rec[0].Length == 0) continue; // blank line
            if (rec.Count != header.Count)
                throw new BadInputException($"has {rec.Count} fields, the header has {header.Count}", $"{path}, row {r}");
            var obj = new JsonObject();
            for (var c = 0; c < header.Count; c++) obj[header[c]] = rec[c];
            rows.Add(new TableRow(path, r, obj));
        }
        return rows;
    }

    static async Task<List<TableRow>> ReadParquetAsync(string path, CancellationToken cancel)
    {
        IList<Dictionary<string, object>> data;
        try
        {
            await using var stream = File.OpenRead(path);
            data = (await ParquetSerializer.DeserializeUntypedAsync(stream, cancellationToken: cancel)).Data;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new BadInputException($"cannot read Parquet: {e.Message}", path, inner: e);
        }
        return data.Select((d, i) => new TableRow(path, i + 1, ToJson(d))).ToList();
    }

    // Parquet values arrive as CLR objects (strings, numbers, nested dictionaries for structs, lists for lists).
    static JsonObject ToJson(IDictionary<string, object> dict)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in dict) obj[k] = ToNode(v);
        return obj;
    }

    static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        ReadOnlyMemory<char> m => JsonValue.Create(m.ToString()), // strings inside lists arrive as character memory
        IDictionary<string, object> d => ToJson(d),
        System.Collections.IEnumerable list and not byte[] => new JsonArray(list.Cast<object?>().Select(ToNode).ToArray()),
        DateTime t => JsonValue.Create(t.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
        _ => JsonSerializer.SerializeToNode(value),
    };
}

/// <summary>RFC 4180 CSV: comma-separated, fields optionally in double quotes, "" for a quote, newlines inside quotes.</summary>
static class Csv
{
    public static IEnumerable<List<string>> Parse(string text, string path)
    {
        var record = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        var line = 1;
        if (text.Length > 0 && text[0] == '\uFEFF') i = 1;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"' && field.Length == 0)
            {
                var start = line;
                i++;
                while (true)
                {
                    if (i >= text.Length) throw new BadInputException("unterminated quoted field", $"{path}, line {start}");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    if (text[i] == '\n') line++;
                    field.Append(text[i++]);
                }
                if (i < text.Length && text[i] is not (',' or '\n' or '\r'))
                    throw new BadInputException("text after a closing quote", $"{path}, line {line}", value: text[i].ToString());
                continue;
            }
            if (c == ',') { record.Add(field.ToString()); field.Clear(); i++; continue; }
            if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                i++;
                line++;
                record.Add(field.ToString());
                field.Clear();
                yield return record;
                record = new List<string>();
                continue;
            }
            field.Append(c);
            i++;
        }
        if (field.Length > 0 || record.Count > 0)
        {
            record.Add(field.ToString());
            yield return record;
        }
    }
}
