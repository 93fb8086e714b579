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
            if (File.Exists(path))
            {
                var existing = await ReadAsync(path, ct);
                if (existing.Count == slice.Count && existing.Select(r => r.Id).SequenceEqual(slice.Select(d => d.Id)))
                {
                    skipped += slice.Count;
                    failures += existing.Count(r => r.ParseFailed);
                    continue;
                }
                // A part from another input: rescore rather than mix inputs.
            }
            var answers = await LlmScorer.ScoreAllAsync(client, slice.Select(d => d.Text).ToList(), options, ct: ct);
            var rows = slice.Zip(answers, (d, a) => new LlmScoreRow { Id = d.Id, SafetyScore = a.Score, SafetyReason = a.Reason, ParseFailed = a.Failed }).ToList();
            await AtomicFile.WriteAsync(path, stream => ParquetSerializer.SerializeAsync(rows, stream, cancellationToken: ct));
            scored += rows.Count;
            failures += rows.Count(r => r.ParseFailed);
            progress?.Report((double)(p + 1) / partCount);
        }
        return new LlmScoringSummary(scored, skipped, failures, parts);
    }

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
