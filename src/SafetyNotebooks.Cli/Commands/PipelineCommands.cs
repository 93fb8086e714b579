using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SafetyNotebooks.Pipeline;

namespace SafetyNotebooks.Cli.Commands;

/// <summary>What one stage did in a <c>pipeline run</c>.</summary>
public sealed record PipelineStageRun(string Stage, string Status, double Seconds, JsonNode? Summary);

/// <summary><c>safetynb pipeline run|check</c>: the declared stages of a pipeline file, in order, skipping finished work.</summary>
public static class PipelineCommands
{
    public static Command Build()
    {
        var command = new Command("pipeline", "Run the paper's data recipe as declared stages (score → synth → mix → tag → export → train)");
        command.Subcommands.Add(Run(check: false));
        command.Subcommands.Add(Run(check: true));
        return command;
    }

    static Command Run(bool check)
    {
        var config = new Option<string>("--config") { Description = "Pipeline YAML (name, workdir, vars, stages)", Required = true };
        var stageName = new Option<string?>("--stage") { Description = "Run only this stage (e.g. one SLURM array job per stage)" };
        var workdir = new Option<string?>("--workdir") { Description = "Override the pipeline's workdir" };
        var vars = new Option<string[]>("--var") { Description = "Override a var: NAME=VALUE (repeatable)" };
        var stage = StageOptions.Create();
        var command = check
            ? new Command("check", "Validate a pipeline file and every stage's options without running anything") { config, workdir, vars, Cli.JsonOption }
            : new Command("run", "Run the stages in order; finished stages (completion markers) are skipped; per-stage counts are printed") { config, stageName, workdir, vars, Cli.JsonOption };
        if (!check)
        {
            command.Options.Add(stage.ShardIndex);
            command.Options.Add(stage.NumShards);
        }
        command.SetHandler(async (parse, stdout, ct) =>
        {
            var json = parse.GetValue(Cli.JsonOption);
            var overrides = (parse.GetValue(vars) ?? []).Select(v => v.Split('=', 2) is [var k, var x] ? (k, x) : throw new BadInputException("expected NAME=VALUE", "--var", value: v))
                .ToDictionary(p => p.k, p => p.x);
            var spec = PipelineSpec.Load(parse.GetValue(config)!, parse.GetValue(workdir), overrides);
            var (index, count) = check ? (0, 1) : (parse.GetValue(stage.ShardIndex), parse.GetValue(stage.NumShards));
            Data.ShardJob.SelectShard([0], index, count);
            Validate(spec, index, count);
            var selected = parse.GetValue(stageName) is { } only
                ? [spec.Stages.FirstOrDefault(s => s.Name == only) ?? throw new BadInputException($"no such stage (stages: {string.Join(", ", spec.Stages.Select(s => s.Name))})", "--stage", value: only)]
                : spec.Stages;
            if (check)
            {
                if (json) Cli.WriteJson(stdout, new { pipeline = spec.Name, workdir = spec.WorkDir, stages = spec.Stages.Select(s => new { s.Name, command = s.CommandLine(0, 1) }) });
                else foreach (var s in spec.Stages) stdout.WriteLine($"{s.Name}: safetynb {string.Join(' ', s.CommandLine(0, 1))}");
                return ExitCodes.Ok;
            }
            var runs = new List<PipelineStageRun>();
            foreach (var s in selected)
            {
                var run = await RunStageAsync(spec, s, index, count, parse.InvocationConfiguration.Error, ct);
                runs.Add(run);
                if (!json) stdout.WriteLine($"{s.Name,-14} {run.Status,-8} {run.Seconds,7:0.0} s  {Counts(run.Summary)}");
                if (run.Status == "failed")
                {
                    if (json) Cli.WriteJson(stdout, new { pipeline = spec.Name, workdir = spec.WorkDir, stages = runs });
                    return ExitCodes.Failure;
                }
            }
            if (json) Cli.WriteJson(stdout, new { pipeline = spec.Name, workdir = spec.WorkDir, stages = runs });
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Parses every stage's command line with the real command tree: a bad option is exit 2 naming the stage's key.</summary>
    static void Validate(PipelineSpec spec, int index, int count)
    {
        foreach (var s in spec.Stages)
        {
            var parse = SafetyNb.Build().Parse([.. s.CommandLine(index, count), "--json"]);
            if (parse.Errors.Count > 0)
                throw new BadInputException($"{parse.Errors[0].Message} (safetynb {string.Join(' ', s.CommandLine(index, count))})", spec.File, s.Key + ".with");
        }
    }

    /// <summary>Runs one stage in-process, unless its completion marker says it is done; writes the marker after success.</summary>
    static async Task<PipelineStageRun> RunStageAsync(PipelineSpec spec, PipelineStage s, int index, int count, TextWriter log, CancellationToken ct)
    {
        if (!s.Shards && index != 0) return new PipelineStageRun(s.Name, "shard-0", 0, null); // an unsharded stage runs on worker 0 only
        var marker = Path.Combine(spec.StateDir, "done", s.Shards ? $"{s.Name}.{index:D5}-of-{count:D5}.json" : $"{s.Name}.json");
        if (File.Exists(marker) && s.Outputs.All(o => Directory.Exists(o) || File.Exists(o)))
            return new PipelineStageRun(s.Name, "done", 0, JsonNode.Parse(File.ReadAllText(marker)));
        foreach (var (path, text) in s.InlineFiles)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.WriteAllText(path, text);
        }
        var sw = Stopwatch.StartNew();
        var output = new StringWriter();
        var err = new StringWriter();
        var code = await SafetyNb.RunAsync([.. s.CommandLine(index, count), "--json"], output, err);
        if (code != ExitCodes.Ok)
        {
            log.Write(err.ToString());
            return new PipelineStageRun(s.Name, "failed", sw.Elapsed.TotalSeconds, new JsonObject { ["exit_code"] = code });
        }
        var missing = s.Outputs.FirstOrDefault(o => !Directory.Exists(o) && !File.Exists(o));
        if (missing is not null)
        {
            log.WriteLine($"error: stage {s.Name} finished but did not write its declared output {missing}");
            return new PipelineStageRun(s.Name, "failed", sw.Elapsed.TotalSeconds, null);
        }
        var summary = LastJson(output.ToString());
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        AtomicFile.WriteAllText(marker, (summary?.ToJsonString() ?? "null") + "\n");
        return new PipelineStageRun(s.Name, "ran", sw.Elapsed.TotalSeconds, summary);
    }

    static JsonNode? LastJson(string text)
    {
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse())
            try { return JsonNode.Parse(line); }
            catch (JsonException) { }
        return null;
    }

    // the numbers a stage reports at its top level (documents, accepted, tokens, ...)
    static string Counts(JsonNode? summary) => summary is JsonObject o
        ? string.Join("  ", o.Where(kv => kv.Value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && kv.Key != "seconds")
            .Select(kv => $"{kv.Key}={kv.Value}"))
        : "";
}
