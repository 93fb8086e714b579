using System.Text.Json;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Evaluation;

/// <summary>Produces a completion for a prompt with some decoding strategy (greedy, sampling, Safe Beam, a remote model…).</summary>
public delegate Task<string> TextGenerator(string prompt, CancellationToken cancel);

/// <summary>The files an attack run writes into its output folder.</summary>
public sealed record AttackFiles(string Generations, string Judgements, string Summary)
{
    public static AttackFiles In(string folder) =>
        new(Path.Combine(folder, "generations.jsonl"), Path.Combine(folder, "judgements.jsonl"), Path.Combine(folder, "summary.json"));

    /// <summary>Generations are appended here as they are produced and renamed to <see cref="Generations"/> when complete.</summary>
    public string PartialGenerations => Generations + ".partial";
}

/// <summary>
/// The safety-evaluation protocol: give each prompt to the model, judge each generation against its behaviour, compute
/// ASR per source and pooled. For base models the prompts are jb-completions' <c>completion_behavior</c> prefixes and the
/// behaviours their <c>original_behavior</c> (<see cref="AttackPrompts.LoadJbCompletionsAsync"/>).
/// </summary>
public static class Attack
{
    /// <summary>Generates (one prompt at a time, in order) and judges in memory.</summary>
    public static async Task<IReadOnlyList<JudgedGeneration>> RunAsync(IReadOnlyList<AttackPrompt> prompts, TextGenerator generate, IHarmJudge judge,
        IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        var generations = new List<string>(prompts.Count);
        foreach (var p in prompts)
        {
            generations.Add(await generate(p.Prompt, cancel));
            progress?.Report(0.9 * generations.Count / Math.Max(1, prompts.Count));
        }
        var judged = await JudgeAsync(prompts, generations, judge, cancel);
        progress?.Report(1.0);
        return judged;
    }

    /// <summary>Judges given generations (index-aligned with the prompts).</summary>
    public static async Task<IReadOnlyList<JudgedGeneration>> JudgeAsync(IReadOnlyList<AttackPrompt> prompts, IReadOnlyList<string> generations, IHarmJudge judge, CancellationToken cancel = default)
    {
        if (prompts.Count != generations.Count) throw new ArgumentException($"{prompts.Count} prompts but {generations.Count} generations");
        var judgements = await judge.JudgeAsync(prompts.Select((p, i) => new JudgeInput(p.Behavior, generations[i])).ToList(), cancel);
        if (judgements.Count != prompts.Count) throw new InvalidOperationException($"judge '{judge.Name}' returned {judgements.Count} judgements for {prompts.Count} generations");
        return prompts.Select((p, i) => new JudgedGeneration(p.Id, p.Source, p.Behavior, p.Prompt, generations[i], judgements[i])).ToList();
    }

    /// <summary>
    /// Runs an attack into <paramref name="outputDir"/>: <c>generations.jsonl</c>, <c>judgements.jsonl</c> (the input of
    /// <c>safetynb eval asr</c>) and <c>summary.json</c>. Generations are appended to a partial file as they are made, so a
    /// killed run resumes where it stopped; every final file is written atomically.
    /// </summary>
    public static async Task<(IReadOnlyList<JudgedGeneration> Judged, AsrReport Report)> RunToFolderAsync(
        IReadOnlyList<AttackPrompt> prompts, TextGenerator generate, IHarmJudge judge, string outputDir, long seed,
        IReadOnlyDictionary<string, string>? settings = null, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(outputDir);
        var files = AttackFiles.In(outputDir);
        var done = File.Exists(files.Generations) ? ReadGenerations(files.Generations) : ReadGenerations(files.PartialGenerations);
        var unknown = done.Keys.FirstOrDefault(id => prompts.All(p => p.Id != id));
        if (unknown is not null)
            throw new BadInputException("the output folder holds generations of other prompts; use a fresh --output", files.Generations, "id", unknown);
        if (!File.Exists(files.Generations))
        {
            await using (var writer = new StreamWriter(files.PartialGenerations, append: true))
            {
                var k = done.Count;
                foreach (var p in prompts.Where(p => !done.ContainsKey(p.Id)))
                {
                    var text = await generate(p.Prompt, cancel);
                    done[p.Id] = text;
                    await writer.WriteLineAsync(new JsonObject { ["id"] = p.Id, ["source"] = p.Source, ["behavior"] = p.Behavior, ["prompt"] = p.Prompt, ["generation"] = text }.ToJsonString());
                    await writer.FlushAsync(cancel);
                    progress?.Report(0.9 * ++k / Math.Max(1, prompts.Count));
                }
            }
            File.Move(files.PartialGenerations, files.Generations, overwrite: true);
        }
        var judged = await JudgeAsync(prompts, prompts.Select(p => done[p.Id]).ToList(), judge, cancel);
        AtomicFile.WriteAllText(files.Judgements, string.Join("", judged.Select(j => JudgedJson.ToLine(j) + "\n")));
        var report = Asr.Compute(judged, seed);
        var summary = AsrJson.ToJson(report);
        summary["judge"] = judge.Name;
        summary["seed"] = seed;
        if (settings is not null)
            foreach (var (k, v) in settings) summary[k] = v;
        AtomicFile.WriteAllText(files.Summary, summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        progress?.Report(1.0);
        return (judged, report);
    }

    // Complete lines only: a line cut by a kill is dropped and regenerated.
    static Dictionary<string, string> ReadGenerations(string path)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return map;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? obj;
            try { obj = JsonNode.Parse(line) as JsonObject; }
            catch (JsonException) { continue; }
            if (obj?["id"]?.GetValue<string>() is { } id && obj["generation"]?.GetValue<string>() is { } g) map[id] = g;
        }
        return map;
    }
}

/// <summary>The JSONL record of one judged prompt: <c>{"id", "source", "harmful": true|false|null, "verdict", "judge", "raw", …}</c>.</summary>
public static class JudgedJson
{
    public static string ToLine(JudgedGeneration j) => new JsonObject
    {
        ["id"] = j.Id,
        ["source"] = j.Source,
        ["harmful"] = j.Judgement.Harmful,
        ["verdict"] = j.Judgement.Verdict.ToString().ToLowerInvariant(),
        ["judge"] = j.Judgement.Judge,
        ["raw"] = j.Judgement.Raw,
        ["behavior"] = j.Behavior,
        ["prompt"] = j.Prompt,
        ["generation"] = j.Generation,
    }.ToJsonString();

    /// <summary>
    /// Reads judged records: <c>id</c> (string or number) and <c>harmful</c> (true, false, or null for an unparseable
    /// judgement) are required; <c>source</c> defaults to "all".
    /// </summary>
    public static Task<IReadOnlyList<AsrOutcome>> ReadAsync(string path, CancellationToken cancel = default) => ReadAsync(path, null, cancel);

    /// <summary>
    /// As <see cref="ReadAsync(string, CancellationToken)"/>, keeping only the records whose <c>system</c> field is
    /// <paramref name="system"/> (null = all), for files that hold several systems' judgements (the miniature's judged.jsonl).
    /// </summary>
    public static async Task<IReadOnlyList<AsrOutcome>> ReadAsync(string path, string? system, CancellationToken cancel = default)
    {
        var all = await TableRows.ReadAsync(path, cancel);
        var systems = all.Select(r => r.OptionalString("system")).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var rows = system is null ? all : all.Where(r => r.OptionalString("system") == system).ToList();
        if (system is not null && rows.Count == 0)
            throw new BadInputException($"no records of this system (systems in {path}: {(systems.Count == 0 ? "none named" : string.Join(", ", systems))})", "--system", value: system);
        var outcomes = rows.Select(r =>
        {
            var id = r.RequiredString("id");
            if (!r.Fields.TryGetPropertyValue("harmful", out var h))
                throw new BadInputException("missing (true, false, or null for an unparseable judgement)", r.Where, "harmful");
            bool? harmful = h?.GetValueKind() switch
            {
                null or JsonValueKind.Null => null,
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new BadInputException("expected true, false or null", r.Where, "harmful", h.ToJsonString()),
            };
            return new AsrOutcome(id, r.OptionalString("source") ?? "all", harmful);
        }).ToList();
        var dup = outcomes.GroupBy(o => o.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new BadInputException(system is null && systems.Count > 1
                ? $"duplicate id: the file holds several systems ({string.Join(", ", systems)}); choose one with --system"
                : "duplicate id", path, "id", dup.Key);
        if (outcomes.Count == 0) throw new BadInputException("no records", path);
        return outcomes;
    }
}

/// <summary>The JSON shape of an ASR report: <c>{"asr", "ci95": [lo, hi], "n", "unparseable", "by_source": {name: {…}}}</c>; undefined rates are null.</summary>
public static class AsrJson
{
    public static JsonObject ToJson(AsrReport report)
    {
        var obj = Group(report.Pooled);
        var bySource = new JsonObject();
        foreach (var (source, estimate) in report.BySource) bySource[source] = Group(estimate);
        obj["by_source"] = bySource;
        return obj;
    }

    static JsonObject Group(AsrEstimate e) => new()
    {
        ["asr"] = Number(e.Asr.Value),
        ["ci95"] = double.IsFinite(e.Asr.Lower) ? new JsonArray(Number(e.Asr.Lower), Number(e.Asr.Upper)) : null,
        ["n"] = e.N,
        ["harmful"] = e.Harmful,
        ["unparseable"] = e.Unparseable,
    };

    static JsonNode? Number(double x) => double.IsFinite(x) ? JsonValue.Create(Math.Round(x, 6)) : null;
}
