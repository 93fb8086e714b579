using Microsoft.Extensions.AI;
using SafetyNotebooks.Data;

namespace SafetyNotebooks.Scoring;

/// <summary>Which scorers to run on a corpus; with both, <see cref="Ensemble"/> says how to combine (the paper: max).</summary>
public sealed record ScoreCorpusOptions(SafetyClassifier? Classifier, IChatClient? Judge, LlmScoringOptions? Llm = null,
    bool Ensemble = true, int ClassifierBatchSize = 32, int LlmPartSize = 256);

/// <summary>
/// Adds the top-level columns <c>safety_score</c> (int32), <c>safety_score_source</c> (classifier | llm | ensemble)
/// and <c>safety_reason</c> (the judge's reason, when an LLM scored) to Parquet corpora, every other column passing
/// through. Runs on the data layer's <see cref="ShardJob"/> (row group by row group, atomic outputs, a done-list, SLURM
/// array sharding); judge answers are also kept in resumable parts under <c>OUTPUT/.llm/</c>, so a killed run loses
/// little work. With both scorers the score is the maximum and the reason is the judge's when it is at least the
/// classifier's score.
/// </summary>
public static class DocumentScoring
{
    public static async Task<ShardJobResult> ScoreAsync(IReadOnlyList<string> inputs, ShardJobOptions job, ScoreCorpusOptions o,
        IProgress<double>? progress = null, CancellationToken ct = default)
    {
        if (o.Classifier is null && o.Judge is null) throw new BadInputException("choose a classifier (--classifier) and/or an LLM judge (--llm-endpoint)", "score");
        var files = ShardJob.FindInputs(inputs);
        if (files.Count == 0) throw new BadInputException("no .parquet files", string.Join(", ", inputs));
        var llmRoot = Path.Combine(Path.GetFullPath(job.OutputDir), ".llm");
        return await ShardJob.RunAsync(files, job, (batch, context) => ScoreBatchAsync(batch, context, llmRoot, o, ct), progress, ct);
    }

    /// <summary>One row group: classifier scores, judge answers (resumable under <paramref name="llmRoot"/>), combined.</summary>
    public static async ValueTask<ParquetBatch> ScoreBatchAsync(ParquetBatch batch, BatchContext context, string llmRoot, ScoreCorpusOptions o, CancellationToken ct)
    {
        var texts = batch.RowCount == 0 ? [] : batch.Texts.Select(t => t ?? "").ToList();
        var classifier = batch.RowCount == 0 ? null : o.Classifier?.Score(texts, o.ClassifierBatchSize);
        IReadOnlyList<LlmScoreRow>? judged = null;
        if (o.Judge is not null && batch.RowCount > 0)
        {
            var workDir = SafePath.Combine(llmRoot, Path.Combine(Path.ChangeExtension(context.RelativePath, null), $"rg-{context.RowGroup:D5}"), context.InputPath);
            var ids = batch.Ids;
            var docs = texts.Select((t, r) => (ids[r] ?? $"row-{context.FirstRow + r}", t)).ToList();
            var summary = await LlmScoringJob.RunAsync(o.Judge, docs, workDir, o.LlmPartSize, o.Llm, ct: ct);
            judged = await LlmScoringJob.ReadAllAsync(summary.Parts, ct);
        }
        var rows = Enumerable.Range(0, batch.RowCount).Select(r => Combine(classifier?[r], judged?[r], o.Ensemble)).ToList();
        return batch
            .With<int>(Columns.SafetyScore, rows.Select(r => r.Score).ToArray())
            .With(Columns.SafetyScoreSource, rows.Select(r => r.Score is null ? null : r.Source).ToArray())
            .With(Columns.SafetyReason, rows.Select(r => r.Reason).ToArray());
    }

    /// <summary>Judge answers that could not be read, over every part under <paramref name="outputDir"/>/.llm.</summary>
    public static async Task<int> CountLlmFailuresAsync(string outputDir, CancellationToken ct = default)
    {
        var root = Path.Combine(outputDir, ".llm");
        if (!Directory.Exists(root)) return 0;
        var failures = 0;
        foreach (var part in Directory.GetFiles(root, "part-*.parquet", SearchOption.AllDirectories))
            failures += (await LlmScoringJob.ReadAsync(part, ct)).Count(r => r.ParseFailed);
        return failures;
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
