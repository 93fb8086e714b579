using System.Globalization;
using System.Text.Json;
using SafetyNotebooks.Evaluation;

namespace SafetyNotebooks.Miniature;

/// <summary>ASR of one system under one judge, as summary.json holds it.</summary>
public sealed record HeadlineAsr(string System, string Judge, double Asr, double Lower, double Upper, int Harmful, int N);

/// <summary>Quality of one system's completions, as summary.json holds it (value [95% CI]).</summary>
public sealed record HeadlineQuality(string System, string Degenerate, string Repetitive, string OutOfLexicon, string PerplexityUnderStandard, string BenignRefusal);

/// <summary>One judged completion from judged.jsonl.</summary>
public sealed record HeadlineCompletion(string Id, string System, string Prompt, string Completion, string Step, string Classifier, string Exact);

/// <summary>
/// The headline of a finished miniature run, read back from the files it wrote (<c>summary.json</c>, <c>judged.jsonl</c>):
/// ASR per system and judge, judge agreement, quality, the judges' disagreements and example completions. Lets
/// notebook 08 show the default run that <c>safetynb reproduce</c> made without training the models again.
/// </summary>
public sealed record MiniatureHeadline(
    string Directory, MiniatureOptions Options, bool IsDefaultProfile, bool DirectionHolds, IReadOnlyDictionary<string, bool> DirectionByJudge,
    IReadOnlyList<HeadlineAsr> Asr, IReadOnlyList<JudgeAgreement> Agreement, IReadOnlyList<HeadlineQuality> Quality,
    IReadOnlyList<HeadlineCompletion> Completions, string JudgeSetup)
{
    /// <summary>The variable <c>reproduce</c> sets for the notebooks it executes: the miniature's work folder.</summary>
    public const string DirectoryVariable = "SAFETYNB_MINIATURE_DIR";

    /// <summary>True when the run is the quick smoke profile (any seed): its numbers say nothing about the paper.</summary>
    public bool IsQuickProfile => Options with { Seed = 0, Output = "", Device = null } == MiniatureOptions.Quick with { Output = "", Device = null };

    /// <summary>One line saying which profile the numbers come from.</summary>
    public string Profile => IsDefaultProfile
        ? $"The default miniature, seed {Options.Seed}: {Options.Prompts} attack prompts, {Options.BenignPrompts} benign prompts, {Options.TrainSteps} pretraining steps per model (files: {Directory})."
        : IsQuickProfile
            ? "SMOKE TEST ONLY (quick profile): the models are too small to learn the toy world, so these numbers say nothing about the paper. The headline is the default profile."
            : $"A miniature with non-default sizes, seed {Options.Seed} (files: {Directory}); the headline is the default profile.";

    /// <summary>The ASR chart of the run (one group per judge).</summary>
    public Plotly.NET.GenericChart Chart() =>
        AsrChart.Bars(Asr.Select(a => new AsrBar($"{a.Judge} judge", a.System, new Estimate(a.Asr, a.Lower, a.Upper, 0.95))).ToList(),
            "Toy world: attack success rate on completion attacks, per judge (95% bootstrap CI)");

    /// <summary>Completions on which the judges disagree.</summary>
    public IEnumerable<HeadlineCompletion> Disagreements => Completions.Where(c => new[] { c.Step, c.Classifier, c.Exact }.Distinct().Count() > 1);

    /// <summary>
    /// The run in <paramref name="workDir"/> (a miniature's <c>WorkDir</c>), or null when it has no complete
    /// summary. Written by an older toolkit (no per-judge results) also gives null.
    /// </summary>
    public static MiniatureHeadline? TryLoad(string workDir)
    {
        var summaryPath = Path.Combine(workDir, "summary.json");
        var judgedPath = Path.Combine(workDir, "judged.jsonl");
        if (!File.Exists(summaryPath) || !File.Exists(judgedPath)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(summaryPath));
        var root = doc.RootElement;
        if (!root.TryGetProperty("options", out var opt) || !root.TryGetProperty("quality", out var quality)) return null;
        var options = opt.Deserialize<MiniatureOptions>()!;
        var isDefault = options with { Seed = 0, Output = "", Device = null } == MiniatureOptions.Demo with { Output = "", Device = null };
        var asr = root.GetProperty("asr").EnumerateArray().SelectMany(s => s.GetProperty("by_judge").EnumerateObject().Select(j => new HeadlineAsr(
            s.GetProperty("system").GetString()!, j.Name, Num(j.Value.GetProperty("asr")), Num(j.Value.GetProperty("ci95")[0]), Num(j.Value.GetProperty("ci95")[1]),
            j.Value.GetProperty("harmful").GetInt32(), j.Value.GetProperty("n").GetInt32()))).ToList();
        var agreement = root.GetProperty("agreement").EnumerateArray().Select(k => new JudgeAgreement(k.GetProperty("first").GetString()!, k.GetProperty("second").GetString()!,
            Num(k.GetProperty("kappa")), k.GetProperty("n").GetInt32(), k.GetProperty("disagreements").GetInt32())).ToList();
        var qualities = quality.EnumerateArray().Select(q => new HeadlineQuality(q.GetProperty("system").GetString()!, Ci(q, "degenerate"), Ci(q, "repetitive"),
            Ci(q, "out_of_lexicon"), Ci(q, "perplexity_under_standard"), Ci(q, "benign_refusal"))).ToList();
        var byJudge = root.GetProperty("direction_holds_by_judge").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetBoolean());
        var judges = root.GetProperty("judges");
        var step = judges.GetProperty("step").GetProperty("calibration");
        var cls = judges.GetProperty("classifier");
        var setup = FormattableString.Invariant(
            $"step judge: 4-gram containment ≥ {Num(step.GetProperty("Threshold")):0.00} (held-out TPR {Num(step.GetProperty("TruePositiveRate")):0.000}, FPR {Num(step.GetProperty("FalsePositiveRate")):0.000}); ") +
            FormattableString.Invariant($"classifier judge: toy gte score ≥ {cls.GetProperty("threshold").GetInt32()} (held-out fragments TPR {Num(cls.GetProperty("true_positive_rate")):0.000}, FPR {Num(cls.GetProperty("false_positive_rate")):0.000}); ") +
            "exact judge: two step cues matched exactly, no refusal";
        var completions = File.ReadLines(judgedPath).Where(l => l.Length > 0).Select(l =>
        {
            using var line = JsonDocument.Parse(l);
            var r = line.RootElement;
            var v = r.GetProperty("verdicts");
            string V(string judge) => v.TryGetProperty(judge, out var j) ? (j.GetProperty("harmful").GetBoolean() ? "harmful" : "not harmful") : "–";
            return new HeadlineCompletion(r.GetProperty("id").GetString()!, r.GetProperty("system").GetString()!, r.GetProperty("prompt").GetString()!,
                r.GetProperty("generation").GetString()!, V(MiniatureJudging.Step), V(MiniatureJudging.Classifier), V(MiniatureJudging.Exact));
        }).ToList();
        return new MiniatureHeadline(workDir, options, isDefault, root.GetProperty("direction_holds").GetBoolean(), byJudge, asr, agreement, qualities, completions, setup);
    }

    static double Num(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;

    static string Ci(JsonElement q, string name)
    {
        var e = q.GetProperty(name);
        var ci = e.GetProperty("ci95");
        return string.Create(CultureInfo.InvariantCulture, $"{Num(e.GetProperty("value")):0.###} [{Num(ci[0]):0.###}, {Num(ci[1]):0.###}]");
    }
}
