using System.Text.Json;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Evaluation;

/// <summary>The general benchmarks whose Hugging Face layouts <see cref="HfBenchmarks"/> reads.</summary>
public enum Benchmark { Arc, Piqa, OpenBookQa, Winogrande }

/// <summary>
/// Multiple-choice tasks from the Hugging Face files of the paper's general benchmarks (Parquet as on the Hub, or the
/// same rows as JSON/JSONL), prompted the way lm-evaluation-harness prompts them:
/// <list type="bullet">
/// <item>ARC (<c>allenai/ai2_arc</c>): <c>id, question, choices{text[], label[]}, answerKey</c>; "Question: …\nAnswer:" + " " + choice.</item>
/// <item>PIQA (<c>ybisk/piqa</c>): <c>goal, sol1, sol2, label</c>; "Question: {goal}\nAnswer:" + " " + solution.</item>
/// <item>OpenBookQA (<c>allenai/openbookqa</c>, main): <c>id, question_stem, choices{text[], label[]}, answerKey</c>; the stem + " " + choice.</item>
/// <item>Winogrande (<c>allenai/winogrande</c>): <c>sentence, option1, option2, answer</c> ("1"/"2"); the sentence up to "_" with each
/// option is the context, the rest after "_" the shared continuation (partial scoring).</item>
/// </list>
/// </summary>
public static class HfBenchmarks
{
    public static async Task<McTask> LoadAsync(Benchmark benchmark, string path, string? name = null, CancellationToken cancel = default)
    {
        var rows = await TableRows.ReadAsync(path, cancel);
        Func<TableRow, McItem> parse = benchmark switch
        {
            Benchmark.Arc => Arc,
            Benchmark.Piqa => Piqa,
            Benchmark.OpenBookQa => OpenBookQa,
            Benchmark.Winogrande => Winogrande,
            _ => throw new ArgumentOutOfRangeException(nameof(benchmark)),
        };
        var items = rows.Select(parse).ToList();
        if (items.Count == 0) throw new BadInputException("no rows", path);
        return new McTask(name ?? $"{benchmark.ToString().ToLowerInvariant()}:{Path.GetFileNameWithoutExtension(path)}", items);
    }

    /// <summary>Parses a benchmark name as used on the command line: arc, piqa, openbookqa, winogrande.</summary>
    public static Benchmark Parse(string text, string origin) => text.Trim().ToLowerInvariant() switch
    {
        "arc" or "arc_easy" or "arc_challenge" or "ai2_arc" => Benchmark.Arc,
        "piqa" => Benchmark.Piqa,
        "openbookqa" or "obqa" => Benchmark.OpenBookQa,
        "winogrande" => Benchmark.Winogrande,
        _ => throw new BadInputException("unknown benchmark (expected arc, piqa, openbookqa or winogrande)", origin, value: text),
    };

    static McItem Arc(TableRow row) =>
        LabelledChoices(row, row.RequiredString("id"), $"Question: {row.RequiredString("question")}\nAnswer:");

    static McItem OpenBookQa(TableRow row) =>
        LabelledChoices(row, row.RequiredString("id"), row.RequiredString("question_stem"));

    // ARC and OpenBookQA: choices is a struct of parallel lists; the answer key is one of the labels (A–E or 1–5).
    static McItem LabelledChoices(TableRow row, string id, string context)
    {
        var choices = row.Required("choices") as JsonObject ?? throw new BadInputException("expected a struct with text and label lists", row.Where, "choices");
        var texts = StringList(row, choices, "choices.text");
        var labels = StringList(row, choices, "choices.label");
        if (texts.Count != labels.Count) throw new BadInputException($"{texts.Count} texts but {labels.Count} labels", row.Where, "choices");
        var key = row.RequiredString("answerKey").Trim();
        var gold = labels.IndexOf(key);
        if (gold < 0) throw new BadInputException($"not one of the labels {string.Join(",", labels)}", row.Where, "answerKey", key);
        return McItem.Shared(id, context, texts, gold);
    }

    static McItem Piqa(TableRow row)
    {
        var label = Int(row, "label");
        if (label is not (0 or 1)) throw new BadInputException("must be 0 or 1 (the test split has no labels)", row.Where, "label", label.ToString());
        return McItem.Shared(row.OptionalString("id") ?? $"piqa-{row.Number}", $"Question: {row.RequiredString("goal")}\nAnswer:",
            [row.RequiredString("sol1"), row.RequiredString("sol2")], label);
    }

    static McItem Winogrande(TableRow row)
    {
        var sentence = row.RequiredString("sentence");
        var blank = sentence.IndexOf('_');
        if (blank < 0) throw new BadInputException("has no blank '_'", row.Where, "sentence", sentence);
        var answer = row.OptionalString("answer");
        if (answer is not ("1" or "2")) throw new BadInputException("must be \"1\" or \"2\" (the test split has no labels)", row.Where, "answer", answer ?? "");
        var continuation = sentence[(blank + 1)..].Trim();
        if (continuation.Length == 0) throw new BadInputException("nothing after the blank", row.Where, "sentence", sentence);
        var prefix = sentence[..blank];
        var options = new[] { row.RequiredString("option1"), row.RequiredString("option2") }
            .Select(o => new McOption(prefix + o, continuation)).ToList();
        return new McItem(row.OptionalString("id") ?? $"winogrande-{row.Number}", options, answer == "1" ? 0 : 1);
    }

    static List<string> StringList(TableRow row, JsonObject obj, string path)
    {
        var name = path[(path.IndexOf('.') + 1)..];
        return obj[name] is JsonArray a
            ? a.Select((n, i) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
                : throw new BadInputException("expected a string", row.Where, $"{path}[{i}]", n?.ToJsonString() ?? "null")).ToList()
            : throw new BadInputException("expected a list of strings", row.Where, path);
    }

    static int Int(TableRow row, string field)
    {
        var node = row.Required(field);
        var text = node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();
        return int.TryParse(text, out var v) ? v : throw new BadInputException("expected an integer", row.Where, field, text);
    }
}
