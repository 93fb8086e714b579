using System.Text.Json;
using System.Text.RegularExpressions;
using SafetyNotebooks.Data;

namespace SafetyNotebooks.Synthesis;

/// <summary>Where a run's outputs went.</summary>
public sealed record SynthesisFiles(IReadOnlyDictionary<string, string> Shards, string Rejects, int AcceptedRows, int RejectedRows);

/// <summary>
/// Reading sources and writing outputs in the released layout: accepted rows as <c>{out}/{config}/train/00000.parquet</c>
/// with config names <c>score_{n}_rephrased</c>, <c>score_{n}_refusal</c>, <c>score_{n}_morals</c> (id, text and the
/// source's FineWeb metadata), rejects as <c>{out}/rejects.jsonl</c> with their reason.
/// </summary>
public static partial class SynthesisOutputs
{
    public const string RejectsFile = "rejects.jsonl";

    /// <summary>Reads sources for <paramref name="task"/> from a Parquet file or a folder of shards: documents whose score is in range.
    /// The score is the row's <c>safety_score</c>, or else the <c>score_N_</c> of the released config folder the file sits in.</summary>
    public static async Task<List<(Document Doc, SynthesisItem Item)>> ReadSourcesAsync(string input, SynthesisTask task, CancellationToken ct = default)
    {
        var list = new List<(Document, SynthesisItem)>();
        foreach (var file in InputFiles.Find([input], InputFiles.Parquet))
            list.AddRange(await ReadSourcesAsync(new ShardUnit(file.Path, file.RelativePath), task, ct));
        return list;
    }

    /// <summary>The sources of one unit of work (a file or a row-group range of one).</summary>
    public static async Task<List<(Document Doc, SynthesisItem Item)>> ReadSourcesAsync(ShardUnit unit, SynthesisTask task, CancellationToken ct = default)
    {
        var (min, max) = SynthesisTasks.Scores(task);
        var list = new List<(Document, SynthesisItem)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var file = unit.Input;
        var configScore = ConfigScore().Match(Path.GetFullPath(file)) is { Success: true } m ? int.Parse(m.Groups[1].Value) : (int?)null;
        await foreach (var d in ShardUnits.DocumentsAsync(unit, ct))
        {
            var score = d.SafetyScore ?? configScore
                ?? throw new BadInputException("row has no safety_score and the file is not under a score_N_* config folder", file, "safety_score", d.Id);
            if (score < min || score > max) continue;
            // a duplicate would share one journal entry and output row; name the file here, where it is known
            if (!seen.Add(d.Id)) throw new BadInputException("duplicate id in the input", file, "id", d.Id);
            list.Add((d, new SynthesisItem(d.Id, d.Text, score)));
        }
        return list;
    }

    /// <summary>Writes the accepted outcomes (with their sources' metadata) and the rejects, atomically.</summary>
    public static Task<SynthesisFiles> WriteAsync(string outputDir, IReadOnlyList<SynthesisOutcome> outcomes, IReadOnlyDictionary<string, Document> sources, CancellationToken ct = default) =>
        WriteAsync(outputDir, outcomes, sources, "train", "00000", Path.Combine(outputDir, RejectsFile), ct);

    /// <summary>
    /// Writes one unit's accepted outcomes as <c>{out}/{config}/{split}/{name}.parquet</c> and its rejects to
    /// <paramref name="rejects"/>, atomically. A config with no accepted row gets no file.
    /// </summary>
    public static async Task<SynthesisFiles> WriteAsync(string outputDir, IReadOnlyList<SynthesisOutcome> outcomes, IReadOnlyDictionary<string, Document> sources,
        string split, string name, string rejects, CancellationToken ct = default)
    {
        var shards = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in outcomes.Where(o => o.Accepted).GroupBy(o => o.Config).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var path = SafePath.Combine(outputDir, Path.Combine(group.Key, split, name + ".parquet"));
            var docs = group.Select(o => new Document(o.Id, o.Text, sources.TryGetValue(o.Id, out var s) ? s.Metadata : null)).ToList();
            await Documents.WriteAsync(path, docs, new DocumentWriteOptions(IncludeToolkitColumns: false), ct);
            shards[group.Key] = path;
        }
        var rejected = outcomes.Where(o => !o.Accepted).ToList();
        AtomicFile.WriteAllText(rejects, string.Concat(rejected.Select(o =>
            JsonSerializer.Serialize(new { id = o.Id, config = o.Config, reason = o.RejectReason, style = o.Style?.ToString(), text = o.Text }) + "\n")));
        return new SynthesisFiles(shards, rejects, outcomes.Count - rejected.Count, rejected.Count);
    }

    [GeneratedRegex(@"[/\\]score_([0-5])_[a-z]+[/\\]")]
    private static partial Regex ConfigScore();
}
