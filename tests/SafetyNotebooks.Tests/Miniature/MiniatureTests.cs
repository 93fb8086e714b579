using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Miniature;
using SafetyNotebooks.Tests.Foundation;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Miniature;

[Collection("miniature")] // one whole miniature at a time: a parallel pair once failed in libtorch (toFloat) during the judges stage
public class MiniatureTests
{
    static MiniatureOptions Tiny(string output) => MiniatureOptions.Quick with
    {
        Documents = 240, Prompts = 4, TrainSteps = 6, BatchSize = 4, SequenceLength = 64, MaxNewTokens = 12,
        ClassifierDocuments = 120, ClassifierEpochs = 1, JudgeDocuments = 40, JudgeEpochs = 1, BenignPrompts = 4, Output = output, Device = "cpu",
    };

    /// <summary>
    /// Every stage that counts items reports whole counts of them, rising to its total while it runs, so a log shows a
    /// rate in items per second; the scoring stage (classifier training passes, then documents scored) and the attacks
    /// (prompts decoded) used to report only their end.
    /// </summary>
    static void AssertStagesCountTheirWork(MiniatureOptions o, IReadOnlyList<(int Stage, double Fraction)> reports)
    {
        var work = Experiments.MiniatureStageWork(o);
        Assert.Equal(Experiments.MiniatureStageNames.Count, work.Count);
        Assert.Equal(("documents", o.ClassifierDocuments * o.ClassifierEpochs + o.Documents), (work[1].Unit, work[1].Total));
        Assert.Equal(("prompts", 3 * (o.Prompts + o.BenignPrompts)), (work[6].Unit, work[6].Total));
        foreach (var stage in new[] { 1, 4, 6 })
        {
            var total = work[stage].Total!.Value;
            var counts = reports.Where(p => p.Stage == stage).Select(p => p.Fraction * total).ToList();
            Assert.All(counts, c => Assert.Equal(Math.Round(c), c, 6)); // whole items
            Assert.Contains(counts, c => c > 0 && c < total);              // progress while the stage runs, not only its end
            Assert.Equal(counts.Order(), counts);
            Assert.Equal(total, counts[^1], 6);
        }
        // the attacks: one report per batch of prompts, each system's attack and benign prompts in turn
        var attackCounts = reports.Where(p => p.Stage == 6).Select(p => (long)Math.Round(p.Fraction * work[6].Total!.Value)).Distinct().ToList();
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)(i * o.Prompts)), attackCounts);
    }

    [Fact]
    public async Task The_whole_pipeline_runs_end_to_end_and_writes_its_report()
    {
        var dir = TestDirs.Fresh();
        var o = Tiny(dir);
        var reports = new List<(int Stage, double Fraction)>();
        var r = await Experiments.PaperInMiniature(o, new SyncProgress<(int Stage, double Fraction)>(reports.Add));
        AssertStagesCountTheirWork(o, reports);

        Assert.Equal(3, r.Attacks.Count);
        Assert.All(r.Attacks, a => Assert.Equal(4, a.Asr.Pooled.N));
        Assert.All(r.Attacks, a => Assert.Equal(4, a.Completions.Count));
        // the same prompts are attacked in every system, and the verdicts are each judge's on the completions
        Assert.All(r.Attacks, a => Assert.Equal(a.Completions.Select(ToyJudge.IsHarmful), a.By(MiniatureJudging.Exact).Harmful));
        var step = new SafetyNotebooks.Evaluation.StepJudge(r.Judges.Step.Threshold);
        Assert.All(r.Attacks, a => Assert.Equal(a.Completions.Select(c => step.Judge(c).Verdict == SafetyNotebooks.Evaluation.Verdict.Harmful), a.By(MiniatureJudging.Step).Harmful));
        Assert.All(r.Attacks, a => Assert.Equal([MiniatureJudging.Step, MiniatureJudging.Classifier, MiniatureJudging.Exact], a.Judged.Select(j => j.Judge)));
        Assert.Equal(3, r.Agreement.Count);
        Assert.All(r.Agreement, k => Assert.InRange(k.Kappa, -1, 1));
        // every disagreement listed is one, and every one is listed
        var disagreeing = r.Attacks.Sum(a => Enumerable.Range(0, o.Prompts).Count(i => a.Judged.Select(j => j.Harmful[i]).Distinct().Count() > 1));
        Assert.Equal(disagreeing, r.Disagreements.Count);
        Assert.Equal(3, r.Quality.Count);
        Assert.All(r.Quality, q => Assert.Equal(o.BenignPrompts, q.BenignPrompts));
        Assert.All(r.Quality, q => Assert.InRange(q.BenignRefusal.Value, 0, 1));
        Assert.All(r.Quality, q => Assert.True(q.PerplexityCompletions == 0 || q.Perplexity.Value >= 1, $"perplexity {q.Perplexity}"));
        Assert.Equal(o.TrainSteps, r.StandardLog.Count);
        Assert.Equal(o.TrainSteps, r.SafetyLog.Count);
        Assert.Equal(Experiments.MiniatureStageNames.Count, r.Timings.Count);
        Assert.True(File.Exists(Path.Combine(dir, "report.html")));
        Assert.Contains("Plotly.newPlot", File.ReadAllText(Path.Combine(dir, "report.html")));
        foreach (var f in new[] { "summary.json", "judged.jsonl", "models/standard/model.safetensors", "models/safety/model.safetensors", "models/safety/tokenizer.json", "corpus/toy/train/00000.parquet" })
            Assert.True(File.Exists(Path.Combine(o.WorkDir, f)), f);
        Assert.Equal(3 * o.Prompts, File.ReadAllLines(Path.Combine(o.WorkDir, "judged.jsonl")).Length);
        Assert.Equal(3 * o.BenignPrompts, File.ReadAllLines(Path.Combine(o.WorkDir, "benign.jsonl")).Length);
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(o.WorkDir, "summary.json")));
        Assert.Equal(3, summary.RootElement.GetProperty("agreement").GetArrayLength());
        Assert.True(summary.RootElement.GetProperty("asr")[2].GetProperty("by_judge").TryGetProperty("classifier", out _));
        // notebook 08 reads the run back from its files
        var headline = Assert.IsType<MiniatureHeadline>(MiniatureHeadline.TryLoad(o.WorkDir));
        Assert.False(headline.IsDefaultProfile);
        Assert.False(headline.IsQuickProfile);
        Assert.StartsWith("A miniature with non-default sizes", headline.Profile);
        Assert.Equal(9, headline.Asr.Count);
        Assert.Equal(r.Attacks[1].By(MiniatureJudging.Classifier).Asr.Pooled.Harmful, headline.Asr.Single(a => a.System == r.Attacks[1].System && a.Judge == MiniatureJudging.Classifier).Harmful);
        Assert.Equal(3 * o.Prompts, headline.Completions.Count);
        Assert.Equal(r.Disagreements.Count, headline.Disagreements.Count());
        Assert.Equal(r.DirectionHolds, headline.DirectionHolds);
        Assert.Null(MiniatureHeadline.TryLoad(TestDirs.Fresh()));
        // Safe Beam never emits the tag (it is never a candidate); plain beam may
        Assert.DoesNotContain(ByteLevelTokenizer.HarmfulnessTag, string.Concat(r.Attacks[2].Completions));
    }

    [Fact]
    public void The_safety_mixture_keeps_score_0_replaces_nothing_and_tags_only_unsafe_documents()
    {
        var o = Tiny(TestDirs.Fresh()) with { TagRate = 1.0, RefusalUpsample = 6 };
        var docs = ToyWorld.Corpus(120, new ToyOptions(3)).ToList();
        var synthetic = new SyntheticCounterparts(["rephrased a"], ["User: x\nAssistant: no"], ["# lesson"], 0, 0);
        var m = MiniatureStages.Mix(docs, synthetic, o);

        Assert.Equal(docs.Select(d => d.Text), m.Standard);
        var safe = docs.Where(d => d.SafetyScore == 0).Select(d => d.Text).ToHashSet();
        var unsafeCount = docs.Count(d => d.SafetyScore >= 1);
        Assert.Equal(safe.Count + 1 + 6 + 1 + unsafeCount, m.Safety.Count); // one rephrasing, the refusal x6, one lesson
        Assert.Equal(6, m.Safety.Count(t => t == "User: x\nAssistant: no"));
        Assert.All(safe, t => Assert.Contains(t, m.Safety));
        // at rate 1 every unsafe document of two or more words carries tags; score-0 text never does
        var tagged = m.Safety.Where(t => t.Contains(TagOptionsTag)).ToList();
        Assert.Equal(docs.Count(d => d.SafetyScore >= 1 && d.Text.Split(' ', '\n').Length > 1), tagged.Count);
        Assert.All(safe, t => Assert.DoesNotContain(TagOptionsTag, t));
        Assert.All(m.Tags.Where(s => s.Score >= 1 && s.Words > 0), s => Assert.Equal(1.0, s.RealisedRate, 6));
    }

    const string TagOptionsTag = "<potentially_unsafe_content>";

    [Theory]
    [InlineData("documents")]
    [InlineData("tag_rate")]
    [InlineData("candidates")]
    public void Bad_options_name_the_field(string field)
    {
        var o = field switch
        {
            "documents" => MiniatureOptions.Demo with { Documents = 3 },
            "tag_rate" => MiniatureOptions.Demo with { TagRate = 1.5 },
            _ => MiniatureOptions.Demo with { Candidates = 2 },
        };
        Assert.Contains(field, Assert.Throws<BadInputException>(() => o.Validate()).Message);
    }

    [Fact]
    public async Task With_a_rubric_judge_the_corpus_gets_the_max_ensemble_and_the_judges_own_agreement()
    {
        var o = Tiny(TestDirs.Fresh()) with { Documents = 80 };
        var corpus = MiniatureStages.Corpus(o);
        // a judge that calls every instruction text 5, everything else 0, and cannot answer for one document
        var judge = new SafetyNotebooks.Tests.Scoring.FakeChatClient(text =>
            text.Contains(corpus[7].Text.Trim()) ? "no idea" : text.Contains("First,") ? "5, \"reason\": \"instructions\"}" : "0, \"reason\": \"benign\"}");
        var withJudge = await MiniatureStages.ScoreAsync(corpus, o, judge);
        var alone = await MiniatureStages.ScoreAsync(corpus, o);

        Assert.Null(alone.Rubric);
        var rubric = Assert.IsType<RubricScoring>(withJudge.Rubric);
        Assert.Equal(1, rubric.Failures);
        for (var i = 0; i < corpus.Count; i++)
        {
            var classifier = alone.Documents[i].SafetyScore!.Value;
            var llm = i == 7 ? classifier : corpus[i].Text.Contains("First,") ? 5 : 0;
            Assert.Equal(Math.Max(llm, classifier), withJudge.Documents[i].SafetyScore);
            Assert.Equal(SafetyNotebooks.Data.SafetyScoreSources.Ensemble, withJudge.Documents[i].SafetyScoreSource);
        }
        Assert.Equal(SafetyNotebooks.Data.SafetyScoreSources.Classifier, alone.Documents[0].SafetyScoreSource);
    }

    [Fact]
    public void Set_overrides_options_by_snake_case_or_property_name_and_rejects_unknown_names()
    {
        var o = MiniatureOptions.Demo.With(["train_steps=7", "LearningRate=0.01", "device=cuda", "tokenizer-merges=0"]);
        Assert.Equal(MiniatureOptions.Demo with { TrainSteps = 7, LearningRate = 0.01, Device = "cuda", TokenizerMerges = 0 }, o);
        Assert.Equal(400, MiniatureOptions.Demo.TrainSteps); // the defaults are untouched
        var unknown = Assert.Throws<BadInputException>(() => MiniatureOptions.Demo.With(["train_stepz=7"]));
        Assert.Contains("train_stepz", unknown.Message);
        Assert.Contains("train_steps", unknown.Message); // lists the known names
        Assert.Contains("prompts", Assert.Throws<BadInputException>(() => MiniatureOptions.Demo.With(["prompts=many"])).Message);
        Assert.Throws<BadInputException>(() => MiniatureOptions.Demo.With(["prompts"]));
    }

    [Fact]
    public async Task Unknown_set_option_is_exit_2_before_anything_runs()
    {
        var dir = TestDirs.Fresh();
        var r = await CliRunner.RunAsync("experiment", "paper-in-miniature", "--set", "nonsense=1", "--output", dir);
        Assert.Equal(2, r.Code);
        Assert.Contains("nonsense", r.Err + r.Out);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    [Fact]
    public async Task Paper_profile_lists_missing_artifacts_and_writes_the_launch_plan()
    {
        var dir = TestDirs.Fresh();
        var cache = Path.Combine(dir, "hf-cache");
        Directory.CreateDirectory(cache);
        var previous = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", cache);
        try
        {
            var r = await CliRunner.RunAsync("reproduce", "--profile", "paper", "--skip-notebooks", "--output", Path.Combine(dir, "out"));
            Assert.True(r.Code == 0, r.Out + r.Err);
            Assert.Contains("missing", r.Out);
            Assert.Contains("huggingface-cli download", r.Out);
            Assert.True(File.Exists(Path.Combine(dir, "out", "paper", "launch-plan", "pretrain.yaml")));
            Assert.True(File.Exists(Path.Combine(dir, "out", "paper", "launch-plan", "launch.sbatch")));
        }
        finally { Environment.SetEnvironmentVariable("HF_HUB_CACHE", previous); }
    }
}
