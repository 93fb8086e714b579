using System.CommandLine;
using SafetyNotebooks.Mixing;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb mix</c>: the pretraining mixture (docs/paper.md §1.6) from named, weighted sources, with curriculum phases.</summary>
public static class MixCommands
{
    public static Command Build()
    {
        var config = new Option<string>("--config") { Description = "Mixture YAML: seed, budget_tokens, tokenizer, rows_per_file, and sources (or phases of sources) with input, share or repeat, min_score/max_score, score", Required = true };
        var output = new Option<string>("--output") { Description = "Output folder: PHASE/train/NNNNN.parquet per phase and mix-manifest.json (resumable)", Required = true };
        var threads = new Option<int>("--threads") { Description = "Token-counting threads (the output does not depend on it)", DefaultValueFactory = _ => 1 };
        var memory = new Option<long>("--memory-mb") { Description = "Bound on the documents held in memory at once, in MiB: larger mixtures are spilled to key buckets under OUT/.mix-spill-SHARD/ and sorted one bucket at a time (the output does not depend on it)", DefaultValueFactory = _ => MixMemory.DefaultMegabytes };
        var stage = StageOptions.Create();
        var command = new Command("mix", "Build a pretraining mixture: token shares or repeat factors, score filters, a token budget, phases; seeded order") { config, output, threads, memory, Cli.JsonOption };
        command.Options.Add(stage.ShardIndex);
        command.Options.Add(stage.NumShards);
        command.SetHandler(async (parse, stdout, ct) =>
        {
            var json = parse.GetValue(Cli.JsonOption);
            var spec = MixSpec.Load(parse.GetValue(config)!);
            var bound = MixMemory.Megabytes(parse.GetValue(memory));
            var r = await Progress.RunAsync("mixing", json, parse.InvocationConfiguration.Error,
                p => MixJob.RunAsync(spec, parse.GetValue(output)!, parse.GetValue(stage.ShardIndex), parse.GetValue(stage.NumShards), parse.GetValue(threads), p, ct, bound));
            if (json)
                Cli.WriteJson(stdout, new { manifest = r.ManifestPath, rows = r.Manifest.Phases.Sum(p => p.Rows), tokens = r.Manifest.Phases.Sum(p => p.Tokens), files_written = r.FilesWritten, files_skipped = r.FilesSkipped,
                    memory = new { limit_bytes = r.Memory.LimitBytes, peak_rows = r.Memory.PeakRows, peak_bytes = r.Memory.PeakBytes, spill_files = r.Memory.SpillFiles }, phases = r.Manifest.Phases });
            else
            {
                foreach (var ph in r.Manifest.Phases)
                {
                    stdout.WriteLine($"phase {ph.Name} (until {ph.Until:P0}{(ph.TrainTokens is { } t ? $", {t:N0} training tokens" : "")}): {ph.Rows:N0} rows, {ph.Tokens:N0} {r.Manifest.TokenCount} in {ph.Files.Count} file(s)");
                    foreach (var s in ph.Sources)
                        stdout.WriteLine($"  {s.Name,-16} {s.Documents,8:N0} documents {s.Rows,8:N0} rows {s.Tokens,12:N0} tokens  share {s.RealisedShare:P2}" +
                                         (s.RequestedShare is { } q ? $" (requested {q:P2})" : $" (repeat ×{s.Repeat})"));
                }
                stdout.WriteLine($"{r.FilesWritten} file(s) written, {r.FilesSkipped} already done → {r.ManifestPath}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
