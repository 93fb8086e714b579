using System.Text.Json;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Evaluation;

/// <summary>
/// Multiple-choice task files (JSONL, one item per line). Shared context:
/// <c>{"id": "q1", "context": "Question: …\nAnswer:", "choices": ["a", "b"], "gold": 1}</c>;
/// per-option contexts (Winogrande style): <c>{"id": …, "contexts": ["…", "…"], "continuation": "…", "gold": 0}</c>.
/// Optional <c>"delimiter"</c> (default " "). Items whose <c>"split"</c> is <c>"train"</c> or <c>"fewshot"</c> form the shot pool.
/// </summary>
public static class McTaskFiles
{
    public static async Task<McTask> LoadAsync(string path, string? name = null, CancellationToken cancel = default)
    {
        if (Path.GetExtension(path).ToLowerInvariant() is not (".jsonl" or ".ndjson"))
            throw new BadInputException("task files are JSONL (one item per line)", path, "extension", Path.GetExtension(path));
        var rows = await TableRows.ReadAsync(path, cancel);
        var items = new List<McItem>();
        var pool = new List<McItem>();
        foreach (var row in rows)
        {
            var item = Parse(row);
            (row.OptionalString("split") is "train" or "fewshot" ? pool : items).Add(item);
        }
        if (items.Count == 0) throw new BadInputException("no evaluation items", path);
        RequireUniqueIds(items.Concat(pool), path);
        return new McTask(name ?? Path.GetFileNameWithoutExtension(path), items, "", pool.Count > 0 ? pool : null);
    }

    static McItem Parse(TableRow row)
    {
        var id = row.OptionalString("id") ?? $"item-{row.Number}";
        var delimiter = row.Fields["delimiter"] is JsonValue d && d.GetValueKind() == JsonValueKind.String ? d.GetValue<string>() : " ";
        List<McOption> options;
        if (row.Fields.ContainsKey("contexts"))
        {
            var continuation = row.RequiredString("continuation");
            options = Strings(row, "contexts").Select(c => new McOption(c, continuation)).ToList();
        }
        else
        {
            var context = row.Fields["context"] is JsonValue c && c.GetValueKind() == JsonValueKind.String ? c.GetValue<string>()
                : throw new BadInputException("missing (or use \"contexts\" + \"continuation\")", row.Where, "context");
            options = Strings(row, "choices").Select(ch => new McOption(context, ch)).ToList();
        }
        if (options.Count < 2) throw new BadInputException("needs at least 2 options", row.Where, "choices", options.Count.ToString());
        if (options.Any(o => o.Continuation.Length == 0)) throw new BadInputException("empty continuation", row.Where, "choices");
        var goldNode = row.Required("gold");
        if (goldNode.GetValueKind() != JsonValueKind.Number || !int.TryParse(goldNode.ToJsonString(), out var gold) || gold < 0 || gold >= options.Count)
            throw new BadInputException($"must be an integer index in [0, {options.Count})", row.Where, "gold", goldNode.ToJsonString());
        return new McItem(id, options, gold, delimiter);
    }

    static List<string> Strings(TableRow row, string field) =>
        row.Required(field) is JsonArray a
            ? a.Select((n, i) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
                : throw new BadInputException("expected a string", row.Where, $"{field}[{i}]", n?.ToJsonString() ?? "null")).ToList()
            : throw new BadInputException("expected an array of strings", row.Where, field, row.Required(field).ToJsonString());

    static void RequireUniqueIds(IEnumerable<McItem> items, string path)
    {
        var dup = items.GroupBy(i => i.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new BadInputException("duplicate item id", path, "id", dup.Key);
    }

    /// <summary>Writes a task as JSONL (atomically): evaluation items, then the shot pool marked <c>"split": "train"</c>.</summary>
    public static void Save(McTask task, string path)
    {
        var lines = task.Items.Select(i => ToJson(i, null)).Concat((task.ShotPool ?? []).Select(i => ToJson(i, "train")));
        AtomicFile.WriteAllText(path, string.Join("\n", lines) + "\n");
    }

    static string ToJson(McItem item, string? split)
    {
        var obj = new JsonObject { ["id"] = item.Id };
        var sharedContext = item.Options.All(o => o.Context == item.Options[0].Context);
        var sharedContinuation = item.Options.All(o => o.Continuation == item.Options[0].Continuation);
        if (sharedContext || !sharedContinuation)
        {
            if (!sharedContext) throw new ArgumentException($"item {item.Id}: options differ in both context and continuation; the JSONL format cannot express that");
            obj["context"] = item.Options[0].Context;
            obj["choices"] = new JsonArray(item.Options.Select(o => (JsonNode?)o.Continuation).ToArray());
        }
        else
        {
            obj["contexts"] = new JsonArray(item.Options.Select(o => (JsonNode?)o.Context).ToArray());
            obj["continuation"] = item.Options[0].Continuation;
        }
        obj["gold"] = item.Gold;
        if (item.Delimiter != " ") obj["delimiter"] = item.Delimiter;
        if (split is not null) obj["split"] = split;
        return obj.ToJsonString();
    }
}
