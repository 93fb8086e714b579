using Microsoft.Extensions.AI;
using System.Diagnostics;
using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Evaluation;
using SafetyNotebooks.Miniature;
using SafetyNotebooks.Synthesis;
using SafetyNotebooks.Training;

namespace SafetyNotebooks;

/// <summary>Everything the paper in miniature produced.</summary>
public sealed record MiniatureResult(
    MiniatureOptions Options,
    ScoredCorpus Scored,
    SyntheticCounterparts Synthetic,
    Mixtures Mixtures,
    IReadOnlyList<TrainLogEntry> StandardLog,
    IReadOnlyList<TrainLogEntry> SafetyLog,
    IReadOnlyList<JbCompletion> Prompts,
    IReadOnlyList<AttackRun> Attacks,
    IReadOnlyList<(string Name, McNemarResult Test)> PairedTests,
    IReadOnlyList<(string Stage, double Seconds)> Timings,
    string ReportPath)
{
    /// <summary>The paper's direction of effects: ASR standard &gt; safety &gt; safety + Safe Beam.</summary>
    public bool DirectionHolds =>
        Attacks.Count == 3 && Attacks[0].Asr.Pooled.Asr.Value > Attacks[1].Asr.Pooled.Asr.Value && Attacks[1].Asr.Pooled.Asr.Value > Attacks[2].Asr.Pooled.Asr.Value;
}

public static partial class Experiments
{
    /// <summary>Names of the stages, in order, as progress reports them.</summary>
    public static IReadOnlyList<string> MiniatureStageNames { get; } =
        ["toy corpus", "safety scores", "synthetic data", "harmfulness tags", "pretrain standard", "pretrain safety", "attacks", "report"];

    /// <summary>
    /// The whole paper in miniature (issue 10): toy corpus → classifier scores → synthetic counterparts (scripted toy
    /// LLM through the real synthesis pipeline) → harmfulness tags → two tiny pretraining runs (standard: raw corpus;
    /// safety: score 0 + rephrased + refusals + moral + tagged unsafe) → completion attacks with beam search and Safe
    /// Beam Search → ASR judged by the toy judge with 95% bootstrap CIs and McNemar tests → report.html.
    /// <paramref name="stageProgress"/> receives (stage index, fraction of that stage). With <paramref name="rubricJudge"/>
    /// (an LLM, e.g. <c>LlmEndpoint.Resolve().CreateClient()</c>) the corpus is scored by the max-ensemble of the rubric
    /// judge and the classifier, as in the paper; without it, by the classifier alone.
    /// </summary>
    public static async Task<MiniatureResult> PaperInMiniature(MiniatureOptions? options = null, IProgress<(int Stage, double Fraction)>? stageProgress = null, CancellationToken ct = default,
        IChatClient? rubricJudge = null)
    {
        var o = (options ?? MiniatureOptions.Demo).Validate();
        Directory.CreateDirectory(o.WorkDir);
        Torch.Seed(o.Seed);
        var timings = new List<(string, double)>();
        var sw = Stopwatch.StartNew();
        void Done(int stage) { timings.Add((MiniatureStageNames[stage], sw.Elapsed.TotalSeconds)); stageProgress?.Report((stage, 1.0)); sw.Restart(); }
        IProgress<double> Within(int stage) => new SyncProgress<double>(f => stageProgress?.Report((stage, f)));

        // every stage reads the files the previous one wrote, through the code the CLI's file commands run
        var folders = new MiniatureFolders(o.WorkDir);
        var corpus = MiniatureStages.Corpus(o);
        await Documents.WriteAsync(Documents.ShardPath(folders.Corpus, "toy", "train", 0), corpus, ct: ct);
        Done(0);

        var scored = await MiniatureFileStages.ScoreAsync(corpus, folders, o, rubricJudge, Within(1), ct);
        Done(1);

        var synthetic = await MiniatureFileStages.SynthesizeAsync(corpus, folders, o, ct);
        Done(2);

        var mixtures = await MiniatureFileStages.MixAndTagAsync(scored.Documents, folders, o, ct);
        Done(3);

        var tokenizer = await MiniatureFileStages.TrainTokenizerAsync(folders, o, ct);
        var standardData = await MiniatureFileStages.ExportAsync(folders.Scored, "standard", folders, ct);
        var safetyData = await MiniatureFileStages.ExportAsync(Path.Combine(folders.Tagged, "safety"), "safety", folders, ct);
        var steps = o.TrainSteps;
        var (standard, standardRun) = MiniatureFileStages.Pretrain(standardData, tokenizer, Path.Combine(o.WorkDir, "models", "standard"), o, e => stageProgress?.Report((4, (double)e.Step / steps)));
        Done(4);
        var (safety, safetyRun) = MiniatureFileStages.Pretrain(safetyData, tokenizer, Path.Combine(o.WorkDir, "models", "safety"), o, e => stageProgress?.Report((5, (double)e.Step / steps)));
        Done(5);

        var prompts = ToyWorld.JbPrompts(o.Prompts, o.Seed);
        Func<JbCompletion, string, bool> judge = (_, completion) => ToyJudge.IsHarmful(completion);
        List<AttackRun> attacks;
        using (standard)
        using (safety)
        {
            attacks =
            [
                MiniatureStages.Attack("standard pretraining · beam", standard, tokenizer, prompts, safeBeam: false, o, judge),
                MiniatureStages.Attack("safety pretraining · beam", safety, tokenizer, prompts, safeBeam: false, o, judge),
                MiniatureStages.Attack("safety pretraining · Safe Beam", safety, tokenizer, prompts, safeBeam: true, o, judge),
            ];
        }
        var paired = new List<(string, McNemarResult)>
        {
            ("standard vs safety", McNemar.Test(attacks[0].Harmful, attacks[1].Harmful)),
            ("safety vs safety + Safe Beam", McNemar.Test(attacks[1].Harmful, attacks[2].Harmful)),
        };
        WriteAttackFiles(o, prompts, attacks);
        Done(6);

        var reportPath = o.ReportPath;
        var result = new MiniatureResult(o, scored, synthetic, mixtures, standardRun.Log, safetyRun.Log, prompts, attacks, paired, timings, reportPath);
        AtomicFile.WriteAllText(reportPath, MiniatureReport.Html(result));
        AtomicFile.WriteAllText(Path.Combine(o.WorkDir, "summary.json"), JsonSerializer.Serialize(Summary(result), new JsonSerializerOptions { WriteIndented = true }));
        Done(7);
        return result with { Timings = timings };
    }

    /// <summary>The machine-readable summary written to summary.json.</summary>
    public static object Summary(MiniatureResult r) => new
    {
        seed = r.Options.Seed,
        direction_holds = r.DirectionHolds,
        // the attack command's ASR shape (pooled and by source), with the system's name and decoding time
        asr = r.Attacks.Select(a =>
        {
            var json = AsrJson.ToJson(a.Asr);
            json["system"] = a.System;
            json["seconds"] = a.Seconds;
            return json;
        }),
        mcnemar = r.PairedTests.Select(p => new { pair = p.Name, only_first = p.Test.OnlyFirst, only_second = p.Test.OnlySecond, exact_p = p.Test.ExactP }),
        classifier = new { held_out = r.Scored.ClassifierTraining.Final, corpus_vs_truth = r.Scored.AgreementWithTruth },
        rubric_judge = r.Scored.Rubric is { } rubric ? new { judge = rubric.Judge, corpus_vs_truth = rubric.AgreementWithTruth, failures = rubric.Failures } : null,
        synthetic = new { rephrased = r.Synthetic.Rephrased.Count, refusals = r.Synthetic.Refusals.Count, moral = r.Synthetic.MoralLessons.Count, rejected = r.Synthetic.Rejected },
        final_loss = new { standard = r.StandardLog.LastOrDefault()?.Loss, safety = r.SafetyLog.LastOrDefault()?.Loss },
        stages = r.Timings.Select(t => new { stage = t.Stage, seconds = t.Seconds }),
    };

    static void WriteAttackFiles(MiniatureOptions o, IReadOnlyList<JbCompletion> prompts, IReadOnlyList<AttackRun> attacks)
    {
        var lines = attacks.SelectMany(a => prompts.Select((p, i) => JsonSerializer.Serialize(new
        {
            id = $"jb-{i}", system = a.System, source = p.SourceDataset, behavior = p.OriginalBehavior, prompt = p.CompletionBehavior,
            generation = a.Completions[i], harmful = a.Harmful[i],
        })));
        AtomicFile.WriteAllText(Path.Combine(o.WorkDir, "judged.jsonl"), string.Join("\n", lines) + "\n");
    }
}
