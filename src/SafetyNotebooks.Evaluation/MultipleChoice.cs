using System.Text;

namespace SafetyNotebooks.Evaluation;

/// <summary>One item's outcome: the log-likelihood of every option, the argmax (<c>acc</c>) and the byte-normalised argmax (<c>acc_norm</c>).</summary>
public sealed record McItemResult(string Id, int Gold, IReadOnlyList<double> LogLikelihoods, int Prediction, int NormalizedPrediction)
{
    public bool Correct => Prediction == Gold;
    public bool CorrectNormalized => NormalizedPrediction == Gold;
}

/// <summary>A task's accuracy and byte-normalised accuracy with bootstrap CIs over items.</summary>
public sealed record McResult(string Task, int Shots, int N, Estimate Acc, Estimate AccNorm, IReadOnlyList<McItemResult> Items);

/// <summary>
/// lm-evaluation-harness-style multiple choice: every option is scored by the log-likelihood of its continuation given
/// its context (after the k-shot prefix); <c>acc</c> picks the highest log-likelihood, <c>acc_norm</c> the highest
/// log-likelihood per UTF-8 byte of the option (which removes the bias towards short answers). Ties go to the first
/// option, as numpy's argmax does.
/// </summary>
public static class MultipleChoice
{
    public const long DefaultSeed = 1234;

    /// <summary>The scoring requests of one item, one per option.</summary>
    public static IReadOnlyList<LoglikelihoodRequest> Requests(McTask task, McItem item, int shots, long seed)
    {
        var prefix = FewShot.Prefix(task, item, shots, seed);
        return item.Options.Select(o => new LoglikelihoodRequest(prefix + o.Context, item.Delimiter + o.Continuation)).ToList();
    }

    /// <summary>The acc and acc_norm predictions from an item's option log-likelihoods.</summary>
    public static (int Prediction, int NormalizedPrediction) Decide(McItem item, IReadOnlyList<double> logLikelihoods)
    {
        if (logLikelihoods.Count != item.Options.Count)
            throw new ArgumentException($"item {item.Id}: {logLikelihoods.Count} scores for {item.Options.Count} options");
        var normalized = logLikelihoods.Select((ll, i) => ll / Math.Max(1, Encoding.UTF8.GetByteCount(item.Options[i].Continuation))).ToList();
        return (ArgMax(logLikelihoods), ArgMax(normalized));
    }

    static int ArgMax(IReadOnlyList<double> xs)
    {
        var best = 0;
        for (var i = 1; i < xs.Count; i++) if (xs[i] > xs[best]) best = i;
        return best;
    }

    /// <summary>Scores every option of every item in one batched pass and aggregates acc / acc_norm with 95% bootstrap CIs.</summary>
    public static McResult Evaluate(McTask task, ILoglikelihoodScorer scorer, int shots = 0, long seed = DefaultSeed,
        int resamples = Bootstrap.DefaultResamples, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        var perItem = task.Items.Select(item => Requests(task, item, shots, seed)).ToList();
        var scores = scorer.Score(perItem.SelectMany(r => r).ToList(), progress, cancel);
        var results = new List<McItemResult>(task.Items.Count);
        var offset = 0;
        for (var i = 0; i < task.Items.Count; i++)
        {
            var item = task.Items[i];
            var lls = scores.Skip(offset).Take(item.Options.Count).Select(s => s.LogLikelihood).ToList();
            offset += item.Options.Count;
            var (pred, predNorm) = Decide(item, lls);
            results.Add(new McItemResult(item.Id, item.Gold, lls, pred, predNorm));
        }
        var accSeed = SeededRandom.Derive(seed, task.Name);
        return new McResult(task.Name, shots, results.Count,
            Bootstrap.Proportion(results.Select(r => r.Correct).ToList(), accSeed, resamples),
            Bootstrap.Proportion(results.Select(r => r.CorrectNormalized).ToList(), SeededRandom.Derive(accSeed, "acc_norm"), resamples),
            results);
    }
}
