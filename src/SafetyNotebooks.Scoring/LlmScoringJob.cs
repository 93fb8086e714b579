using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using Parquet.Serialization;

namespace SafetyNotebooks.Scoring;

/// <summary>One row of LLM scoring output (snake_case columns, as the data layer names them).</summary>
public sealed class LlmScoreRow
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("safety_score")] public int? SafetyScore { get; set; }
    [JsonPropertyName("safety_reason")] public string? SafetyReason { get; set; }
    [JsonPropertyName("parse_failed")] public bool ParseFailed { get; set; }
}

/// <summary>What an LLM scoring run did: rows scored now, rows found already done, answers that could not be read.</summary>
public sealed record LlmScoringSummary(int Scored, int Skipped, int Failures, IReadOnlyList<string> Parts);

/// <summary>
/// Resumable LLM scoring of (id, text) pairs into Parquet parts: part N holds rows N·partSize … and is written
/// atomically when complete, so after a kill a rerun scores only the parts that are missing.
/// </summary>
public static class LlmScoringJob
{
    public static string PartName(int part) => $"part-{part:D5}.parquet";

    public static async Task<LlmScoringSummary> RunAsync(IChatClient client, IReadOnlyList<(string Id, string Text)> documents, string outputDir,
        int partSize = 256, LlmScoringOptions? options = null, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        if (partSize < 1) throw new BadInputException("must be at least 1", "LLM scoring", "part size", partSize.ToString());
        Directory.CreateDirectory(outputDir);
        var parts = new List<string>();
        int scored = 0, skipped = 0, failures = 0;
        var partCount = (documents.Count + partSize - 1) / partSize;
        for (var p = 0; p < partCount; p++)
        {
            var path = Path.Combine(outputDir, PartName(p));
            parts.Add(path);
            var slice = documents.Skip(p * partSize).Take(partSize).ToList();
            var existing = File.Exists(path) ? await ReadAsync(path, ct) : null;
            // a part from another input is rescored rather than mixed in; a part of this input keeps its scored rows
            if (existing is not null && !existing.Select(r => r.Id).SequenceEqual(slice.Select(d => d.Id))) existing = null;
            var todo = Enumerable.Range(0, slice.Count).Where(i => existing is null || existing[i].ParseFailed).ToList();
            if (todo.Count == 0)
            {
                skipped += slice.Count;
                continue;
            }
            var answers = await LlmScorer.ScoreAllAsync(client, todo.Select(i => slice[i].Text).ToList(), options, ct: ct);
            var rows = existing?.ToArray() ?? new LlmScoreRow[slice.Count];
            for (var k = 0; k < todo.Count; k++) rows[todo[k]] = Row(slice[todo[k]].Id, answers[k]);
            await AtomicFile.WriteAsync(path, stream => ParquetSerializer.SerializeAsync(rows, stream, cancellationToken: ct));
            scored += todo.Count;
            skipped += slice.Count - todo.Count;
            failures += rows.Count(r => r.ParseFailed);
            progress?.Report((double)(p + 1) / partCount);
        }
        return new LlmScoringSummary(scored, skipped, failures, parts);
    }

    /// <summary>A failed answer keeps why in safety_reason ("unscored: …"), so the job can say what went wrong.</summary>
    static LlmScoreRow Row(string id, LlmAnswer a) => new()
    {
        Id = id, SafetyScore = a.Score, ParseFailed = a.Failed,
        SafetyReason = a.Failed ? "unscored: " + (a.Raw.Length > 300 ? a.Raw[..300] + "…" : a.Raw) : a.Reason,
    };

    public static async Task<IReadOnlyList<LlmScoreRow>> ReadAsync(string path, CancellationToken ct = default)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            return (await ParquetSerializer.DeserializeAsync<LlmScoreRow>(stream, cancellationToken: ct)).Data.ToList();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new BadInputException($"not an LLM scoring part ({e.Message})", path, inner: e);
        }
    }

    /// <summary>All rows of a finished run, in input order.</summary>
    public static async Task<IReadOnlyList<LlmScoreRow>> ReadAllAsync(IEnumerable<string> parts, CancellationToken ct = default)
    {
        var rows = new List<LlmScoreRow>();
        foreach (var p in parts) rows.AddRange(await ReadAsync(p, ct));
        return rows;
    }
}
