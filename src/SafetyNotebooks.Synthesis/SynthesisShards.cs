using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using SafetyNotebooks.Data;

namespace SafetyNotebooks.Synthesis;

/// <summary>What a sharded synthesis run did over the units this worker owns (earlier runs' units included).</summary>
public sealed record SynthesisShardResult(int Units, int Skipped, int Documents, int Accepted, int Rejected, int Failed, int Resumed, int Requests, int CacheHits,
    IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, int> RejectReasons, IReadOnlyList<SynthesisFailure> Failures);

/// <summary>
/// <c>safetynb synth</c> as a sharded, resumable job: inputs follow <see cref="InputFiles"/>, each unit of work (a file
/// or a row-group range, <see cref="ShardUnits"/>) has its own journal (<c>OUT/work/TASK/NAME</c>) and writes
/// <c>OUT/{config}/{split}/{NAME}.parquet</c> plus <c>OUT/rejects/TASK/{REL}.jsonl</c>; a unit whose sources all
/// got an answer is marked done (<c>OUT/.synth-TASK/…</c>) and skipped by later runs. NAME is the input's path without
/// split and <c>score_N_*</c> folders, so the union of the outputs is the same for any number of workers.
/// </summary>
public static partial class SynthesisShards
{
    /// <param name="clientFor">The chat client for a unit's source documents (the toy client is built from them).</param>
    /// <param name="jobFor">The synthesis job for a unit, given its journal folder.</param>
    /// <param name="limit">Only the first N eligible documents of each unit.</param>
    public static async Task<SynthesisShardResult> RunAsync(IReadOnlyList<string> inputs, string outputDir, SynthesisTask task,
        Func<IReadOnlyList<Document>, IChatClient> clientFor, Func<string, SynthesisJob> jobFor, int? limit = null,
        int shardIndex = 0, int numShards = 1, int rowGroupsPerUnit = 0, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        var units = ShardUnits.Owned(await ShardUnits.PlanAsync(InputFiles.Find(inputs, InputFiles.Parquet), rowGroupsPerUnit, ct), shardIndex, numShards);
        var taskName = task.ToString().ToLowerInvariant();
        var stats = new List<UnitStats>();
        var failures = new List<SynthesisFailure>();
        var reasons = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (var k = 0; k < units.Count; k++)
        {
            var unit = units[k];
            var (split, name) = (unit.Split() ?? "train", Name(unit));
            var key = Path.ChangeExtension(unit.OutputRelativePath, null); // unique per unit: markers, journals, rejects
            var marker = SafePath.Combine(Path.Combine(outputDir, $".synth-{taskName}"), key + ".json");
            if (File.Exists(marker))
            {
                // done by an earlier run: its rows count, this run made no requests for it
                stats.Add(JsonSerializer.Deserialize<UnitStats>(File.ReadAllText(marker))! with { Skipped = true, Requests = 0, CacheHits = 0, Resumed = 0 });
                continue;
            }
            var sources = await SynthesisOutputs.ReadSourcesAsync(unit, task, ct);
            if (limit is { } l) sources = sources.Take(Math.Max(0, l)).ToList();
            using var client = clientFor(sources.Select(s => s.Doc).ToList());
            var job = jobFor(SafePath.Combine(outputDir, Path.Combine("work", taskName, key)));
            var unitIndex = k;
            var result = await SynthesisPipeline.RunAsync(client, job, sources.Select(s => s.Item),
                new SyncProgress<double>(f => progress?.Report((unitIndex + f) / units.Count)), ct);
            var rejects = SafePath.Combine(outputDir, Path.Combine("rejects", taskName, key + ".jsonl"));
            Directory.CreateDirectory(Path.GetDirectoryName(rejects)!);
            var files = await SynthesisOutputs.WriteAsync(outputDir, result.Outcomes, sources.ToDictionary(s => s.Doc.Id, s => s.Doc), split, name, rejects, ct);
            foreach (var r in result.Rejected) reasons[r.RejectReason!.Split(" (")[0]] = reasons.GetValueOrDefault(r.RejectReason!.Split(" (")[0]) + 1;
            failures.AddRange(result.Failures);
            var s = new UnitStats(sources.Count, files.AcceptedRows, files.RejectedRows, result.Failures.Count, result.Resumed, result.Requests, result.CacheHits, files.Shards.Values.ToList());
            stats.Add(s);
            if (result.Failures.Count == 0)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
                AtomicFile.WriteAllText(marker, JsonSerializer.Serialize(s));
            }
        }
        return new SynthesisShardResult(units.Count, stats.Count(s => s.Skipped), stats.Sum(s => s.Documents), stats.Sum(s => s.Accepted), stats.Sum(s => s.Rejected),
            stats.Sum(s => s.Failed), stats.Sum(s => s.Resumed), stats.Sum(s => s.Requests), stats.Sum(s => s.CacheHits),
            stats.SelectMany(s => s.Outputs).ToList(), reasons, failures);
    }

    sealed record UnitStats(int Documents, int Accepted, int Rejected, int Failed, int Resumed, int Requests, int CacheHits, IReadOnlyList<string> Outputs, bool Skipped = false);

    static string? Split(this ShardUnit u) => InputFiles.SplitOf(u.RelativePath);

    /// <summary>A unit's output name: its relative path without extension, split and <c>score_N_*</c> folders, joined by '-'.</summary>
    public static string Name(ShardUnit unit)
    {
        var parts = Path.ChangeExtension(unit.OutputRelativePath, null).Split('/', '\\')
            .Where(p => !InputFiles.SplitFolders.Contains(p) && !ConfigFolder().IsMatch(p)).ToList();
        return parts.Count == 0 ? "00000" : string.Join("-", parts);
    }

    [GeneratedRegex(@"^score_[0-5]_[a-z]+$")]
    private static partial Regex ConfigFolder();
}
