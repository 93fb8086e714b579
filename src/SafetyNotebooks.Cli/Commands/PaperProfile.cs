namespace SafetyNotebooks.Cli.Commands;

/// <summary>The <c>reproduce --profile paper</c> stages: artifact inventory, launch plan, next steps.</summary>
public static class PaperProfile
{
    public static Task<List<(string Stage, double Seconds, string Outputs, bool Ok)>> RunAsync(string outDir, TextWriter output, bool json, CancellationToken cancel)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var r = Experiments.PaperProfile(outDir);
        if (json)
            Cli.WriteJson(output, new { artifacts = r.Artifacts, plan = r.PlanDirectory, next_steps = r.NextSteps });
        else
        {
            output.WriteLine("Released artifacts in the Hugging Face cache:");
            foreach (var a in r.Artifacts)
                output.WriteLine($"  {(a.Complete ? "ok     " : "missing")} {a.RepoId,-58} {a.FilesPresent} files ok, {a.FilesMissing} missing, {a.FilesMismatched} checksum mismatches");
            output.WriteLine($"Launch plan of the paper's pretraining run: {r.PlanDirectory}");
            foreach (var s in r.NextSteps) output.WriteLine("  - " + s);
        }
        var present = r.Artifacts.Count(a => a.Complete);
        return Task.FromResult(new List<(string, double, string, bool)>
        {
            ($"artifact inventory ({present}/{r.Artifacts.Count} complete)", sw.Elapsed.TotalSeconds, "Hugging Face cache", true),
            ("launch plan (SmolLM2-1.7B, 600B tokens, 4×8 H100)", 0, r.PlanDirectory, true),
        });
    }
}
