using Microsoft.Extensions.AI;
using System.Diagnostics;
using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Evaluation;
using SafetyNotebooks.Miniature;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Synthesis;
using SafetyNotebooks.Tokenization;
using SafetyNotebooks.Training;

namespace SafetyNotebooks;

/// <summary>Everything the paper in miniature produced.</summary>
/// <param name="PairedTests">McNemar tests per judge ("step: standard vs safety", …).</param>
/// <param name="Judges">How the judges were set up (step judge calibration, classifier judge's held-out rates).</param>
/// <param name="Agreement">Pairwise Cohen's κ of the judges over all systems' completions.</param>
/// <param name="Disagreements">Completions on which the judges disagree, per system, for hand audit.</param>
/// <param name="Quality">Per attacked system (same order as <see cref="Attacks"/>): degenerate completions, perplexity under the standard model, over-refusal.</param>
/// <param name="BenignPrompts">The benign prompts of the over-refusal check.</param>
/// <param name="BenignCompletions">Per attacked system, its continuations of <see cref="BenignPrompts"/>.</param>
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
    string ReportPath,
    JudgePanel Judges,
    IReadOnlyList<JudgeAgreement> Agreement,
    IReadOnlyList<JudgeDisagreement> Disagreements,
    IReadOnlyList<CompletionQuality> Quality,
    IReadOnlyList<BenignPrompt> BenignPrompts,
    IReadOnlyList<IReadOnlyList<string>> BenignCompletions)
{
    /// <summary>The judges' names in report order.</summary>
    public IReadOnlyList<string> JudgeNames => Attacks[0].Judged.Select(j => j.Judge).ToList();

    /// <summary>The paper's direction of effects (ASR standard &gt; safety &gt; safety + Safe Beam) under every judge.</summary>
    public bool DirectionHolds => JudgeNames.All(j => MiniatureJudging.DirectionHolds(Attacks, j));
}

public static partial class Experiments
{
    /// <summary>Names of the stages, in order, as progress reports them.</summary>
    public static IReadOnlyList<string> MiniatureStageNames { get; } =
        ["toy corpus", "safety scores", "synthetic data", "harmfulness tags", "pretrain standard", "pretrain safety", "attacks", "quality", "judges", "report"];

    /// <summary>
    /// What each stage's progress fraction counts (same order as <see cref="MiniatureStageNames"/>), so a display can
    /// show a rate in items per second: its fraction is done / <c>Total</c> of <c>Unit</c>. Null: the stage reports
    /// only its end.
    /// </summary>
    public static IReadOnlyList<(long? Total, string Unit)> MiniatureStageWork(MiniatureOptions o, bool rubricJudge = false) =>
    [
        (o.Documents, "documents"), (MiniatureStages.ScoringWork(o, rubricJudge), "documents"), (null, ""), (null, ""),
        (o.TrainSteps, "steps"), (o.TrainSteps, "steps"), (MiniatureStages.AttackWork(o, AttackedSystems.Count), "prompts"),
        (AttackedSystems.Count, "systems"), (AttackedSystems.Count, "systems"), (null, ""),
    ];

    /// <summary>The attacked systems, in report order.</summary>
    static IReadOnlyList<string> AttackedSystems { get; } = ["standard pretraining · beam", "safety pretraining · beam", "safety pretraining · Safe Beam"];

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
        var clock = new StageClock(stageProgress);

        // every stage reads the files the previous one wrote, through the code the CLI's file commands run
        var folders = new MiniatureFolders(o.WorkDir);
        var corpus = MiniatureStages.Corpus(o);
        await Documents.WriteAsync(Documents.ShardPath(folders.Corpus, "toy", "train", 0), corpus, ct: ct);
        clock.Done(0);
        var scored = await MiniatureFileStages.ScoreAsync(corpus, folders, o, rubricJudge, clock.Within(1), ct);
        clock.Done(1);
        var synthetic = await MiniatureFileStages.SynthesizeAsync(corpus, folders, o, ct);
        clock.Done(2);
        var mixtures = await MiniatureFileStages.MixAndTagAsync(scored.Documents, folders, o, ct);
        clock.Done(3);
        var models = await PretrainBothAsync(folders, o, clock, ct);

        var prompts = ToyWorld.JbPrompts(o.Prompts, o.Seed);
        var benign = ToyBenignPrompts.Draw(o.BenignPrompts, o.Seed);
        var completions = GenerateAll(models, mixtures, prompts, benign, o, clock);
        var (panel, attacks, paired) = await JudgeAsync(completions.Attacks, prompts, o, clock, ct);
        WriteAttackFiles(o, prompts, attacks, benign, completions.Benign);
        clock.Done(8);

        var result = new MiniatureResult(o, scored, synthetic, mixtures, models.StandardRun.Log, models.SafetyRun.Log, prompts, attacks, paired, clock.Timings, o.ReportPath,
            panel, MiniatureJudging.Agreement(attacks), MiniatureJudging.Disagreements(attacks, prompts), completions.Quality, benign,
            completions.Benign.Select(g => g.Completions).ToList());
        AtomicFile.WriteAllText(o.ReportPath, MiniatureReport.Html(result));
        AtomicFile.WriteAllText(Path.Combine(o.WorkDir, "summary.json"), JsonSerializer.Serialize(Summary(result), new JsonSerializerOptions { WriteIndented = true }));
        clock.Done(9);
        return result with { Timings = clock.Timings };
    }

    /// <summary>Each stage's seconds, and progress as (stage index, fraction of that stage).</summary>
    sealed class StageClock(IProgress<(int Stage, double Fraction)>? progress)
    {
        readonly List<(string, double)> _timings = [];
        readonly Stopwatch _sw = Stopwatch.StartNew();
        public IReadOnlyList<(string Stage, double Seconds)> Timings => _timings;
        public void Done(int stage) { _timings.Add((MiniatureStageNames[stage], _sw.Elapsed.TotalSeconds)); progress?.Report((stage, 1.0)); _sw.Restart(); }
        public IProgress<double> Within(int stage) => new SyncProgress<double>(f => progress?.Report((stage, f)));
        public void Report(int stage, double fraction) => progress?.Report((stage, fraction));
    }

    sealed record PretrainedPair(HfTokenizer Tokenizer, LlamaForCausalLM Standard, TrainResult StandardRun, LlamaForCausalLM Safety, TrainResult SafetyRun);

    // stages 4 and 5: one tokenizer for both mixtures, then the standard and the safety pretraining runs
    static async Task<PretrainedPair> PretrainBothAsync(MiniatureFolders folders, MiniatureOptions o, StageClock clock, CancellationToken ct)
    {
        var tokenizer = await MiniatureFileStages.TrainTokenizerAsync(folders, o, ct);
        var standardData = await MiniatureFileStages.ExportAsync(folders.Scored, "standard", folders, ct);
        var safetyData = await MiniatureFileStages.ExportAsync(Path.Combine(folders.Tagged, "safety"), "safety", folders, ct);
        var steps = o.TrainSteps;
        var (standard, standardRun) = MiniatureFileStages.Pretrain(standardData, tokenizer, Path.Combine(o.WorkDir, "models", "standard"), o, e => clock.Report(4, (double)e.Step / steps));
        clock.Done(4);
        var (safety, safetyRun) = MiniatureFileStages.Pretrain(safetyData, tokenizer, Path.Combine(o.WorkDir, "models", "safety"), o, e => clock.Report(5, (double)e.Step / steps));
        clock.Done(5);
        return new PretrainedPair(tokenizer, standard, standardRun, safety, safetyRun);
    }

    sealed record Completions(Generations[] Attacks, Generations[] Benign, List<CompletionQuality> Quality);

    // stages 6 and 7: every system's completions of the attack and the benign prompts, then their quality; the models are freed after
    static Completions GenerateAll(PretrainedPair models, Mixtures mixtures, IReadOnlyList<JbCompletion> prompts, IReadOnlyList<BenignPrompt> benign, MiniatureOptions o, StageClock clock)
    {
        var attackPrompts = prompts.Select(p => p.CompletionBehavior).ToList();
        var benignPrompts = benign.Select(b => b.Prompt).ToList();
        using (models.Standard)
        using (models.Safety)
        {
            (ICausalLanguageModel Model, bool SafeBeam)[] setups = [(models.Standard, false), (models.Safety, false), (models.Safety, true)];
            // progress in prompts decoded over every system's attack and benign prompts
            var decoded = 0L;
            var attackWork = MiniatureStages.AttackWork(o, setups.Length);
            void Decoded(int n) => clock.Report(6, (double)(decoded += n) / attackWork);
            var generated = setups.Select(s => MiniatureStages.Generate(s.Model, models.Tokenizer, attackPrompts, s.SafeBeam, o, Decoded)).ToArray();
            var benignGenerated = setups.Select(s => MiniatureStages.Generate(s.Model, models.Tokenizer, benignPrompts, s.SafeBeam, o, Decoded)).ToArray();
            clock.Done(6);
            var quality = MiniatureStages.Quality(models.Standard, models.Tokenizer, mixtures, attackPrompts, generated, benignGenerated, o, clock.Within(7));
            clock.Done(7);
            return new Completions(generated, benignGenerated, quality);
        }
    }

    // stage 8: every judge's verdicts per system, and the paired McNemar tests per judge
    static async Task<(JudgePanel Panel, List<AttackRun> Attacks, List<(string, McNemarResult)> Paired)> JudgeAsync(
        Generations[] generated, IReadOnlyList<JbCompletion> prompts, MiniatureOptions o, StageClock clock, CancellationToken ct)
    {
        var (panel, judgeClassifier) = MiniatureJudging.Build(o);
        var attacks = new List<AttackRun>();
        using (judgeClassifier)
            for (var s = 0; s < AttackedSystems.Count; s++)
            {
                attacks.Add(new AttackRun(AttackedSystems[s], generated[s].Completions,
                    await MiniatureJudging.JudgeAsync(panel.Judges, prompts, generated[s].Completions, o.Seed, ct), generated[s].Seconds, generated[s].Cost));
                clock.Report(8, (double)(s + 1) / AttackedSystems.Count);
            }
        var paired = panel.Judges.SelectMany(j => new (string, McNemarResult)[]
        {
            ($"{j.Name}: standard vs safety", McNemar.Test(attacks[0].By(j.Name).Harmful, attacks[1].By(j.Name).Harmful)),
            ($"{j.Name}: safety vs safety + Safe Beam", McNemar.Test(attacks[1].By(j.Name).Harmful, attacks[2].By(j.Name).Harmful)),
        }).ToList();
        return (panel, attacks, paired);
    }

    /// <summary>
    /// The headline of the default miniature (<see cref="MiniatureOptions.Demo"/>, seed <paramref name="seed"/>) for
    /// notebook 08: the run <c>safetynb reproduce</c> just made (the folder in <see cref="MiniatureHeadline.DirectoryVariable"/>,
    /// with whatever seed and sizes it ran), else the run in <paramref name="reproduceWorkDir"/> when it is the default
    /// profile with this seed; otherwise the default miniature runs now into <paramref name="output"/>
    /// (minutes on 2 CPU cores) and its files are read back the same way.
    /// </summary>
    public static async Task<MiniatureHeadline> DefaultMiniatureHeadline(long seed, string reproduceWorkDir, string output, string? device = null, CancellationToken ct = default)
    {
        // the run reproduce just made, whatever its options (the notebook says when it is not the default profile)
        if (Environment.GetEnvironmentVariable(MiniatureHeadline.DirectoryVariable) is { Length: > 0 } d && MiniatureHeadline.TryLoad(d) is { } made) return made;
        if (MiniatureHeadline.TryLoad(reproduceWorkDir) is { IsDefaultProfile: true } found && found.Options.Seed == seed) return found;
        var o = MiniatureOptions.Demo with { Seed = seed, Output = output, Device = device };
        await PaperInMiniature(o, ct: ct);
        return MiniatureHeadline.TryLoad(o.WorkDir) ?? throw new InvalidOperationException($"the miniature wrote no summary to {o.WorkDir}");
    }

    /// <summary>The machine-readable summary written to summary.json.</summary>
    public static object Summary(MiniatureResult r) => new
    {
        seed = r.Options.Seed,
        direction_holds = r.DirectionHolds,
        direction_holds_by_judge = r.JudgeNames.ToDictionary(j => j, j => MiniatureJudging.DirectionHolds(r.Attacks, j)),
        // the attack command's ASR shape (pooled and by source) per judge, with the system's name and decoding time
        asr = r.Attacks.Select(a => new
        {
            system = a.System,
            seconds = a.Seconds,
            forward_passes = a.Cost.ForwardPasses,
            by_judge = a.Judged.ToDictionary(j => j.Judge, j => AsrJson.ToJson(j.Asr)),
        }),
        judges = new
        {
            step = new { threshold = r.Judges.Step.Threshold, calibration = r.Judges.Step },
            classifier = new
            {
                threshold = r.Judges.Classifier.Threshold, held_out_fragments = r.Judges.Classifier.HeldOutFragments,
                true_positive_rate = r.Judges.Classifier.TruePositiveRate, false_positive_rate = r.Judges.Classifier.FalsePositiveRate,
                held_out = r.Judges.Classifier.Training.Final,
            },
            exact = "at least two instruction-step cue phrases matched exactly, and no refusal phrase",
        },
        agreement = r.Agreement.Select(k => new { first = k.First, second = k.Second, kappa = Json(k.Kappa), n = k.N, disagreements = k.Disagreements }),
        disagreements = r.Disagreements.GroupBy(d => d.System).Select(g => new
        {
            system = g.Key, count = g.Count(),
            sample = g.Take(10).Select(d => new { id = d.Id, prompt = d.Prompt, completion = d.Completion, verdicts = d.Verdicts }),
        }),
        quality = r.Attacks.Select((a, i) => new
        {
            system = a.System,
            completions = r.Quality[i].Completions,
            degenerate = Ci(r.Quality[i].Degenerate), repetitive = Ci(r.Quality[i].Repetitive), out_of_lexicon = Ci(r.Quality[i].OutOfLexicon),
            perplexity_under_standard = Ci(r.Quality[i].Perplexity), perplexity_completions = r.Quality[i].PerplexityCompletions,
            benign_prompts = r.Quality[i].BenignPrompts, benign_refusal = Ci(r.Quality[i].BenignRefusal),
        }),
        mcnemar = r.PairedTests.Select(p => new { pair = p.Name, only_first = p.Test.OnlyFirst, only_second = p.Test.OnlySecond, exact_p = p.Test.ExactP }),
        classifier = new { held_out = r.Scored.ClassifierTraining.Final, corpus_vs_truth = r.Scored.AgreementWithTruth },
        rubric_judge = r.Scored.Rubric is { } rubric ? new { judge = rubric.Judge, corpus_vs_truth = rubric.AgreementWithTruth, failures = rubric.Failures } : null,
        synthetic = new { rephrased = r.Synthetic.Rephrased.Count, refusals = r.Synthetic.Refusals.Count, moral = r.Synthetic.MoralLessons.Count, rejected = r.Synthetic.Rejected },
        final_loss = new { standard = r.StandardLog.LastOrDefault()?.Loss, safety = r.SafetyLog.LastOrDefault()?.Loss },
        options = r.Options,
        stages = r.Timings.Select(t => new { stage = t.Stage, seconds = t.Seconds }),
    };

    static double? Json(double x) => double.IsFinite(x) ? Math.Round(x, 6) : null;

    static object Ci(Estimate e) => new { value = Json(e.Value), ci95 = new[] { Json(e.Lower), Json(e.Upper) } };

    static void WriteAttackFiles(MiniatureOptions o, IReadOnlyList<JbCompletion> prompts, IReadOnlyList<AttackRun> attacks,
        IReadOnlyList<BenignPrompt> benign, IReadOnlyList<Generations> benignGenerated)
    {
        var lines = attacks.SelectMany(a => prompts.Select((p, i) => JsonSerializer.Serialize(new
        {
            id = $"jb-{i}", system = a.System, source = p.SourceDataset, behavior = p.OriginalBehavior, prompt = p.CompletionBehavior,
            generation = a.Completions[i], harmful = a.Harmful[i],
            verdicts = a.Judged.ToDictionary(j => j.Judge, j => new { harmful = j.Harmful[i], raw = j.Judgements[i].Raw }),
        })));
        AtomicFile.WriteAllText(Path.Combine(o.WorkDir, "judged.jsonl"), string.Join("\n", lines) + "\n");
        var benignLines = attacks.SelectMany((a, s) => benign.Select((b, i) => JsonSerializer.Serialize(new
        {
            id = $"benign-{i}", system = a.System, source = b.Source, request = b.Request, prompt = b.Prompt,
            generation = benignGenerated[s].Completions[i], refusal = CompletionQualityMetrics.IsRefusal(benignGenerated[s].Completions[i]),
        })));
        AtomicFile.WriteAllText(Path.Combine(o.WorkDir, "benign.jsonl"), string.Join("\n", benignLines) + "\n");
    }
}
