using Microsoft.Extensions.AI;
using SafetyNotebooks.Data;

namespace SafetyNotebooks.Scoring;

/// <summary>Which scorers to run on a corpus; with both, <see cref="Ensemble"/> says how to combine (the paper: max).</summary>
public sealed record ScoreCorpusOptions(SafetyClassifier? Classifier, IChatClient? Judge, LlmScoringOptions? Llm = null,
    bool Ensemble = true, int ClassifierBatchSize = 32, int LlmPartSize = 256, int MaxUnscored = 0);

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
        var unscored = new UnscoredRows(o.MaxUnscored);
        return await ShardJob.RunAsync(files, job, (batch, context) => ScoreBatchAsync(batch, context, llmRoot, o, unscored, ct), progress, ct);
    }

    /// <summary>One row group: classifier scores, judge answers (resumable under <paramref name="llmRoot"/>), combined.</summary>
    public static async ValueTask<ParquetBatch> ScoreBatchAsync(ParquetBatch batch, BatchContext context, string llmRoot, ScoreCorpusOptions o, UnscoredRows unscored, CancellationToken ct)
    {
        if (!batch.Has(Columns.Text)) throw new BadInputException($"no '{Columns.Text}' column to score", context.InputPath, Columns.Text);
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
        // before this file's output is written: a job that leaves too many rows unscored stops, and a rerun resumes it
        unscored.Add(context.InputPath, rows.Where(r => r.Score is null).Select(r => r.Reason).ToList());
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

/// <summary>
/// Rows a scoring job has left without any score, against the most it may leave (default 0): past that the job fails
/// before the file's output is written, saying how many rows, why, and that a rerun asks the judge again only for them.
/// </summary>
public sealed class UnscoredRows(int max)
{
    int _count;

    public int Count => Volatile.Read(ref _count);

    public void Add(string file, IReadOnlyList<string?> reasons)
    {
        if (reasons.Count == 0) return;
        var total = Interlocked.Add(ref _count, reasons.Count);
        if (total <= max) return;
        var why = reasons.FirstOrDefault(r => r is not null)?.Replace("unscored: ", "") ?? "no answer";
        throw new JobFailedException($"{file}: {reasons.Count} row(s) left unscored by the LLM judge ({total} in this job, at most {max} allowed by --llm-max-unscored); " +
                                     $"first reason: {why}. Nothing was written for this file; rerun the same command to resume (scored rows are kept, only the unscored ones are asked again).");
    }
}

