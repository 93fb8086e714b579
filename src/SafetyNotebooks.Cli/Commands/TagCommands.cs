using System.CommandLine;
using System.Diagnostics;
using SafetyNotebooks.Data;
using SafetyNotebooks.Tagging;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb tag</c>: harmfulness-tag annotation (Algorithm 1, PAPER.md §1.5) over Parquet corpora.</summary>
public static class TagCommands
{
    public static Command Build()
    {
        var input = new Option<string[]>("--input") { Description = "Parquet file(s) or folder(s) in the released schema", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--output") { Description = "Output folder (same relative paths as the inputs)", Required = true };
        var rate = new Option<double>("--rate") { Description = "Probability p of a tag before each word after the first", DefaultValueFactory = _ => TagOptions.DefaultRate };
        var seed = new Option<ulong>("--seed") { Description = "Seed, combined with FNV-1a-64 of each document id", DefaultValueFactory = _ => TagOptions.DefaultSeed };
        var minScore = new Option<int>("--min-score") { Description = "Tag documents whose safety score is at least this", DefaultValueFactory = _ => TagOptions.DefaultMinScore };
        var tag = new Option<string>("--tag") { Description = "The tag string (a space follows each inserted tag)", DefaultValueFactory = _ => TagOptions.DefaultTag };
        var scoreField = new Option<string>("--score-field") { Description = "Column holding the safety score (dotted path for struct members)", DefaultValueFactory = _ => Columns.SafetyScore };
        var threads = new Option<int>("--threads") { Description = "Worker threads (the output does not depend on it)", DefaultValueFactory = _ => 1 };
        var stage = StageOptions.Create();
        var command = stage.AddTo(new Command("tag", "Insert harmfulness tags into unsafe documents (Algorithm 1): exact, seeded, resumable")
        {
            input, output, rate, seed, minScore, tag, scoreField, threads, Cli.JsonOption,
        });
        command.SetHandler(async (parse, stdout, ct) =>
        {
            var json = parse.GetValue(Cli.JsonOption);
            var options = new TagJobOptions(
                new TagOptions(parse.GetValue(rate), parse.GetValue(seed), parse.GetValue(minScore), parse.GetValue(tag)!),
                parse.GetValue(scoreField)!, parse.GetValue(threads), parse.GetValue(stage.ShardIndex), parse.GetValue(stage.NumShards),
                RowGroupsPerUnit: parse.GetValue(stage.RowGroupsPerUnit), InputRoot: InputFiles.RootOf(parse.GetValue(input)!));
            var clock = Stopwatch.StartNew();
            OutputGuard.Folder(parse.GetValue(output)!, parse.GetValue(input)!);
            var job = await TagParquet.PrepareAsync(parse.GetValue(input)!, options, ct);
            var r = await Progress.RunAsync($"tagging {job.Owned.Count} file(s)", json, parse.InvocationConfiguration.Error,
                progress => TagParquet.RunAsync(job, parse.GetValue(output)!, progress, ct));
            var seconds = clock.Elapsed.TotalSeconds;
            if (json)
                Cli.WriteJson(stdout, new
                {
                    files = r.Job.Files.Count, processed = r.Job.Processed, skipped = r.Job.Skipped, documents = r.Documents,
                    tagged_documents = r.TaggedDocuments, tags = r.Tags, options.Tag.Rate, options.Tag.Seed, options.Tag.MinScore,
                    outputs = r.Job.Files.Select(f => f.Output), seconds,
                    byte_level_files = r.ByteLevelFiles, fallbacks = (r.Fallbacks ?? []).Select(f => new { input = f.Input, reason = f.Reason }),
                });
            else
            {
                foreach (var f in r.Fallbacks ?? [])
                    stdout.WriteLine($"{f.Input}: general path ({f.Reason})");
                stdout.WriteLine($"{r.Job.Processed} file(s) tagged, {r.Job.Skipped} already done; {r.Documents} documents, " +
                                 $"{r.TaggedDocuments} tagged with {r.Tags} tags (p = {options.Tag.Rate}, seed {options.Tag.Seed}, score ≥ {options.Tag.MinScore}) in {seconds:0.0} s → {Path.GetFullPath(parse.GetValue(output)!)}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>safetynb experiment harmfulness-tags</c>: notebook 04 without a notebook host.</summary>
    public static Command Experiment()
    {
        var docs = new Option<int>("--docs") { Description = "Toy-corpus documents", DefaultValueFactory = _ => 2000 };
        var corpusSeed = new Option<long>("--corpus-seed") { Description = "Toy-world seed", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Tagging seed", DefaultValueFactory = _ => TagOptions.DefaultSeed };
        var charts = new Option<string?>("--charts") { Description = "Folder to write the two charts to as self-contained HTML" };
        var command = new Command("harmfulness-tags", "Tag the toy corpus at p = 3 %, 5 %, 10 %: realised versus requested rate (notebook 04)") { docs, corpusSeed, seed, charts, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var r = Experiments.HarmfulnessTags(new Experiments.HarmfulnessTagsOptions(parse.GetValue(docs), parse.GetValue(corpusSeed), Seed: parse.GetValue(seed)));
            if (parse.GetValue(charts) is { } folder)
            {
                Directory.CreateDirectory(folder);
                Reporting.Charts.SaveHtml(r.RateChart, SafePath.Combine(folder, "realised-vs-requested.html"));
                Reporting.Charts.SaveHtml(r.DistributionChart, SafePath.Combine(folder, "tag-rate-by-score.html"));
            }
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(output, new { r.Documents, r.UnsafeDocuments, rates = r.Rates.Select(x => new { x.Requested, x.Realised, x.StandardError, x.Tags, x.EligibleWords, x.TaggedDocuments }) });
            else
            {
                output.WriteLine($"{r.Documents} toy documents, {r.UnsafeDocuments} with safety score ≥ 1");
                foreach (var x in r.Rates)
                    output.WriteLine($"p = {x.Requested:0.00}: realised {x.Realised:0.0000} ± {x.StandardError:0.0000} ({x.Tags} tags over {x.EligibleWords} eligible words, {x.TaggedDocuments} documents tagged)");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
