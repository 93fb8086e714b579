using SafetyNotebooks.Evaluation;
using SafetyNotebooks.Miniature;

namespace SafetyNotebooks.Cli.Commands;

/// <summary>The <c>reproduce --profile paper</c> stages: artifact inventory, launch plan, what the cache allows to run, next steps.</summary>
public static class PaperProfile
{
    /// <summary>Runs the paper profile: prints its findings (text), or returns them as <c>Json</c> for reproduce's one JSON document.</summary>
    public static async Task<(List<(string Stage, double Seconds, string Outputs, bool Ok)> Stages, object? Json)> RunAsync(string outDir, PaperProfileOptions options, TextWriter output, TextWriter log, bool json, CancellationToken cancel)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var r = await Progress.RunAsync("paper profile", json, log, (IProgress<double> p) =>
            Experiments.PaperProfileAsync(outDir, options, progress: new SyncProgress<(string Stage, double Fraction)>(s => p.Report(s.Fraction)), ct: cancel));
        object? summary = null;
        if (json)
            summary = new
            {
                artifacts = r.Artifacts, plan = r.PlanDirectory, next_steps = r.NextSteps,
                attack = r.Attack is { } a ? new
                {
                    model = a.Model, safe_beam_skipped = a.SafeBeamSkipped,
                    systems = a.Systems.Select(s => new { system = s.System, output = s.OutputDir, report = AsrJson.ToJson(s.Report) }),
                    mcnemar = a.Paired is { } m ? new { only_beam = m.OnlyFirst, only_safe_beam = m.OnlySecond, exact_p = m.ExactP } : null,
                } : null,
                classifier = r.Classifier is { } c ? new { label_column = c.LabelColumn, documents = c.Documents, f1_macro = c.Metrics.F1Macro, recall_at_1 = c.Metrics.RecallAt1, recall_at_3 = c.Metrics.RecallAt3, output = c.OutputPath } : null,
            };
        else
        {
            output.WriteLine("Released artifacts in the Hugging Face cache:");
            foreach (var a in r.Artifacts)
                output.WriteLine($"  {(a.Complete ? "ok     " : "missing")} {a.RepoId,-58} {a.FilesPresent} files ok, {a.FilesMissing} missing, {a.FilesMismatched} checksum mismatches");
            output.WriteLine($"Launch plan of the paper's pretraining run: {r.PlanDirectory}");
            if (r.Attack is { } attack)
                foreach (var s in attack.Systems)
                    output.WriteLine($"ASR {attack.Model} · {s.System,-10} {s.Report.Pooled.Asr.Value,6:P1}  95% CI [{s.Report.Pooled.Asr.Lower:P1}, {s.Report.Pooled.Asr.Upper:P1}]  n={s.Report.Pooled.N}");
            foreach (var s in r.NextSteps) output.WriteLine("  - " + s);
        }
        var present = r.Artifacts.Count(a => a.Complete);
        var stages = new List<(string, double, string, bool)>
        {
            ($"artifact inventory ({present}/{r.Artifacts.Count} complete)", sw.Elapsed.TotalSeconds, "Hugging Face cache", true),
            ("launch plan (SmolLM2-1.7B, 600B tokens, 4×8 H100)", 0, r.PlanDirectory, true),
        };
        if (r.Classifier is { } scored)
            stages.Add(($"released classifier on {scored.Documents} annotated documents", 0, scored.OutputPath, true));
        if (r.Attack is { } run)
            stages.Add(($"attack {run.Model}: {string.Join(" vs ", run.Systems.Select(s => s.System))}", 0, Path.GetDirectoryName(run.Systems[0].OutputDir)!, true));
        return (stages, summary);
    }

    /// <summary>The paper profile's options from the command line: <c>--set</c> names any <see cref="PaperProfileOptions"/> property in snake_case.</summary>
    public static PaperProfileOptions Options(long? seed, string? device, IEnumerable<string> settings) =>
        RecordOverrides.Apply(new PaperProfileOptions(Seed: seed ?? 0, Device: device), settings);
}
