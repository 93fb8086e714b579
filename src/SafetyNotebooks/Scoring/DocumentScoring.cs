using Microsoft.Extensions.AI;
using SafetyNotebooks.Data;

namespace SafetyNotebooks.Scoring;

/// <summary>Which scorers to run on a corpus; with both, <see cref="Ensemble"/> says how to combine (the paper: max).</summary>
public sealed record ScoreCorpusOptions(SafetyClassifier? Classifier, IChatClient? Judge, LlmScoringOptions? Llm = null,
    bool Ensemble = true, int ClassifierBatchSize = 32, int LlmPartSize = 256);

/// <summary>What scoring a file did.</summary>
public sealed record ScoreFileSummary(string Input, string Output, long Rows, bool Skipped, int LlmFailures);

/// <summary>
/// Adds the top-level columns <c>safety_score</c> (int32), <c>safety_score_source</c> (classifier | llm | ensemble)
/// and <c>safety_reason</c> (the judge's reason, when an LLM scored) to Parquet corpora, every other column passing
/// through. Files are processed row group by row group and written atomically; a finished output file is skipped on a
/// rerun, and LLM answers are kept in resumable parts under <c>.llm/</c>, so a killed run loses little work.
/// With both scorers the score is the maximum and the reason is the judge's when it is at least the classifier's score.
/// </summary>
public static class DocumentScoring
{
    /// <summary>The Parquet files of <paramref name="input"/> (a file, or a folder searched recursively), in ordinal order.</summary>
    public static IReadOnlyList<string> InputFiles(string input) =>
        File.Exists(input) ? [Path.GetFullPath(input)]
        : Directory.Exists(input) ? Directory.GetFiles(input, "*.parquet", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToList()
        : throw new BadInputException("no such file or folder", input);

    public static async Task<IReadOnlyList<ScoreFileSummary>> ScoreAsync(string input, string outputDir, ScoreCorpusOptions o,
        IProgress<double>? progress = null, CancellationToken ct = default)
    {
        if (o.Classifier is null && o.Judge is null) throw new BadInputException("choose a classifier (--classifier) and/or an LLM judge (--llm-endpoint)", "score");
        var files = InputFiles(input);
        if (files.Count == 0) throw new BadInputException("no .parquet files", input);
        var root = File.Exists(input) ? Path.GetDirectoryName(Path.GetFullPath(input))! : Path.GetFullPath(input);
        var summaries = new List<ScoreFileSummary>();
        for (var i = 0; i < files.Count; i++)
        {
            var relative = Path.GetRelativePath(root, files[i]);
            var output = SafePath.Combine(outputDir, relative);
            summaries.Add(await ScoreFileAsync(files[i], output, Path.Combine(outputDir, ".llm", Path.ChangeExtension(relative, null)), o, ct));
            progress?.Report((i + 1.0) / files.Count);
        }
        return summaries;
    }

    public static async Task<ScoreFileSummary> ScoreFileAsync(string input, string output, string llmWorkDir, ScoreCorpusOptions o, CancellationToken ct = default)
    {
        if (File.Exists(output)) return new ScoreFileSummary(input, output, 0, true, 0);
        IReadOnlyList<LlmScoreRow>? judged = null;
        var failures = 0;
        if (o.Judge is not null)
        {
            var docs = new List<(string, string)>();
            await foreach (var batch in ParquetFiles.ReadBatchesAsync(input, new ParquetReadOptions([Columns.Id, Columns.Text]), ct))
                docs.AddRange(batch.Ids.Zip(batch.Texts, (id, text) => (id ?? "", text ?? "")));
            var summary = await LlmScoringJob.RunAsync(o.Judge, docs, llmWorkDir, o.LlmPartSize, o.Llm, ct: ct);
            judged = await LlmScoringJob.ReadAllAsync(summary.Parts, ct);
            failures = summary.Failures;
        }
        var offset = 0;
        async IAsyncEnumerable<ParquetBatch> Scored()
        {
            await foreach (var batch in ParquetFiles.ReadBatchesAsync(input, null, ct))
            {
                var texts = batch.Texts.Select(t => t ?? "").ToList();
                var classifier = o.Classifier?.Score(texts, o.ClassifierBatchSize);
                var rows = Enumerable.Range(0, batch.RowCount).Select(r => Combine(classifier?[r], judged?[offset + r], o.Ensemble)).ToList();
                offset += batch.RowCount;
                yield return batch
                    .With<int>(Columns.SafetyScore, rows.Select(r => r.Score).ToArray())
                    .With(Columns.SafetyScoreSource, rows.Select(r => r.Score is null ? null : r.Source).ToArray())
                    .With(Columns.SafetyReason, rows.Select(r => r.Reason).ToArray());
            }
        }
        var (schema, _) = await ParquetFiles.InspectAsync(input, ct);
        var written = await ParquetFiles.WriteAsync(output, Scored(), schema, null, ct);
        return new ScoreFileSummary(input, output, written, false, failures);
    }

    /// <summary>One row's result: the classifier's score, the judge's, or (ensemble) their maximum.</summary>
    public static (int? Score, string Source, string? Reason) Combine(int? classifier, LlmScoreRow? judge, bool ensemble)
    {
        var llm = judge?.SafetyScore;
        if (classifier is { } c && llm is { } l && ensemble)
            return (Math.Max(c, l), SafetyScoreSources.Ensemble, l >= c ? judge!.SafetyReason : null);
        if (classifier is { } only) return (only, SafetyScoreSources.Classifier, null);
        return (llm, SafetyScoreSources.Llm, judge?.SafetyReason);
    }
}
