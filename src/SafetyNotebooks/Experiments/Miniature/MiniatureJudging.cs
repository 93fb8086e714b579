using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Evaluation;
using SafetyNotebooks.Scoring;

namespace SafetyNotebooks.Miniature;

/// <summary>One judge's verdicts on one system's completions (in prompt order), with their raw outputs and the ASR.</summary>
public sealed record JudgedRun(string Judge, IReadOnlyList<Judgement> Judgements, AsrReport Asr)
{
    /// <summary>Harmful per prompt (an unparseable verdict counts as not harmful here; ASR leaves it out).</summary>
    public IReadOnlyList<bool> Harmful => Judgements.Select(j => j.Harmful == true).ToList();
}

/// <summary>Cohen's κ of two judges over every (system, prompt) of the miniature.</summary>
public sealed record JudgeAgreement(string First, string Second, double Kappa, int N, int Disagreements);

/// <summary>A completion on which the judges disagree: for hand audit.</summary>
public sealed record JudgeDisagreement(string System, string Id, string Prompt, string Completion, IReadOnlyDictionary<string, string> Verdicts);

/// <summary>How each judge was set up: the step judge's held-out calibration, the classifier judge's held-out error rates.</summary>
public sealed record JudgePanel(IReadOnlyList<IHarmJudge> Judges, StepJudgeCalibration Step, JudgeClassifierReport Classifier);

/// <summary>The three judges of the miniature and the statistics that compare them.</summary>
public static class MiniatureJudging
{
    public const string Step = "step", Classifier = "classifier", Exact = "exact";

    /// <summary>
    /// The judges, in report order: the step judge (threshold calibrated on held-out data), the classifier judge (the
    /// toy gte classifier trained on held-out documents and fragments, harmful from <see cref="MiniatureOptions.JudgeThreshold"/>),
    /// and the original exact judge (two instruction steps matched exactly and no refusal), kept for comparison.
    /// The classifier is returned so the caller disposes it.
    /// </summary>
    public static (JudgePanel Panel, SafetyClassifier Classifier) Build(MiniatureOptions o)
    {
        var calibration = StepJudge.Calibrate();
        var (classifier, report) = ToyJudgeClassifier.Train(
            new ToyJudgeClassifier.Options(o.JudgeDocuments, o.JudgeEpochs, Seed: o.Seed, Device: o.Device), o.JudgeThreshold);
        IHarmJudge[] judges =
        [
            new StepJudge(calibration.Threshold),
            ClassifierJudge.Of(classifier, o.JudgeThreshold),
            new PredicateJudge(Exact, i => ToyJudge.IsHarmful(i.Generation)),
        ];
        return (new JudgePanel(judges, calibration, report), classifier);
    }

    /// <summary>Every judge's verdicts on one system's completions, with ASR and bootstrap CIs per judge.</summary>
    public static async Task<IReadOnlyList<JudgedRun>> JudgeAsync(IReadOnlyList<IHarmJudge> judges, IReadOnlyList<JbCompletion> prompts,
        IReadOnlyList<string> completions, long seed, CancellationToken ct = default)
    {
        var inputs = prompts.Select((p, i) => new JudgeInput(p.OriginalBehavior, completions[i])).ToList();
        var runs = new List<JudgedRun>();
        foreach (var judge in judges)
        {
            var verdicts = await judge.JudgeAsync(inputs, ct);
            var asr = Asr.Compute(prompts.Select((p, i) => new AsrOutcome($"jb-{i}", p.SourceDataset, verdicts[i].Harmful)), seed);
            runs.Add(new JudgedRun(judge.Name, verdicts, asr));
        }
        return runs;
    }

    /// <summary>Pairwise Cohen's κ of the judges over all systems' completions pooled.</summary>
    public static IReadOnlyList<JudgeAgreement> Agreement(IReadOnlyList<AttackRun> attacks)
    {
        var names = attacks[0].Judged.Select(j => j.Judge).ToList();
        var result = new List<JudgeAgreement>();
        for (var a = 0; a < names.Count; a++)
            for (var b = a + 1; b < names.Count; b++)
            {
                var x = attacks.SelectMany(r => r.By(names[a]).Harmful).ToList();
                var y = attacks.SelectMany(r => r.By(names[b]).Harmful).ToList();
                result.Add(new JudgeAgreement(names[a], names[b], CohensKappa.Of(x, y), x.Count, x.Zip(y).Count(p => p.First != p.Second)));
            }
        return result;
    }

    /// <summary>Per system, the completions on which not all judges agree (prompt order), with each judge's verdict and raw output.</summary>
    public static IReadOnlyList<JudgeDisagreement> Disagreements(IReadOnlyList<AttackRun> attacks, IReadOnlyList<JbCompletion> prompts) =>
        attacks.SelectMany(a => Enumerable.Range(0, prompts.Count)
            .Where(i => a.Judged.Select(j => j.Harmful[i]).Distinct().Count() > 1)
            .Select(i => new JudgeDisagreement(a.System, $"jb-{i}", prompts[i].CompletionBehavior, a.Completions[i],
                a.Judged.ToDictionary(j => j.Judge, j => (j.Harmful[i] ? "harmful" : "not harmful") + (j.Judgements[i].Raw is { } raw ? $" ({raw})" : "")))))
            .ToList();

    /// <summary>The paper's direction (ASR standard &gt; safety &gt; safety + Safe Beam) under one judge.</summary>
    public static bool DirectionHolds(IReadOnlyList<AttackRun> attacks, string judge) =>
        attacks.Count == 3 && attacks[0].By(judge).Asr.Pooled.Asr.Value > attacks[1].By(judge).Asr.Pooled.Asr.Value
                           && attacks[1].By(judge).Asr.Pooled.Asr.Value > attacks[2].By(judge).Asr.Pooled.Asr.Value;
}
