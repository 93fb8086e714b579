using Microsoft.Extensions.AI;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.LitData;
using SafetyNotebooks.Mixing;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Scoring;
using SafetyNotebooks.Synthesis;
using SafetyNotebooks.Tagging;
using SafetyNotebooks.Tokenization;
using SafetyNotebooks.Training;
using TorchSharp;

namespace SafetyNotebooks.Miniature;

/// <summary>The folders the miniature's file stages write, under <see cref="MiniatureOptions.WorkDir"/> (the layout of pipelines/miniature.yaml).</summary>
public sealed record MiniatureFolders(string Root)
{
    public string Corpus => Path.Combine(Root, "corpus");
    public string Scored => Path.Combine(Root, "scored");
    public string Rephrased => Path.Combine(Root, "rephrased");
    public string Refusals => Path.Combine(Root, "refusals");
    public string Morals => Path.Combine(Root, "morals");
    public string Mix => Path.Combine(Root, "mix");
    public string Tagged => Path.Combine(Root, "tagged");
    public string Tokenizer => Path.Combine(Root, "tokenizer");
    public string LitData(string mixture) => Path.Combine(Root, "litdata", mixture);
}

/// <summary>
/// The miniature's stages on files, through the same library entry points the CLI commands call (score →
/// <see cref="DocumentScoring"/>, synth → <see cref="SynthesisShards"/>, mix → <see cref="MixJob"/>, tag →
/// <see cref="TagParquet"/>, tokenizer train → <see cref="BpeTokenizerFiles"/>, export litdata → <see cref="LitDataJob"/>,
/// training from the LitData folder): every intermediate stage is on disk, so <c>reproduce</c> tests what the CLI ships.
/// Each stage starts from a fresh folder (the miniature is a single run, not a resumed one).
/// </summary>
public static class MiniatureFileStages
{
    /// <summary>
    /// Stage 2: the score stage on the corpus's files, as <c>safetynb score --classifier … [--llm-endpoint …]</c> runs
    /// it: classifier scores, or with an LLM rubric judge their maximum. The judge's own answers, which the stage keeps
    /// under <c>scored/.llm/</c>, give its agreement with the truth apart from the ensemble (an unreadable answer falls
    /// back to the classifier's score, as the ensemble does).
    /// </summary>
    public static async Task<ScoredCorpus> ScoreAsync(IReadOnlyList<Document> corpus, MiniatureFolders f, MiniatureOptions o, IChatClient? rubricJudge = null,
        IProgress<double>? progress = null, CancellationToken ct = default)
    {
        // progress in documents: the classifier's training passes, then the corpus's files as the score stage finishes them
        var work = (double)MiniatureStages.ScoringWork(o, rubricJudge is not null);
        var trained = (long)o.ClassifierDocuments * o.ClassifierEpochs;
        var (classifier, report) = MiniatureStages.TrainClassifier(o, progress, work);
        using (classifier)
            await DocumentScoring.ScoreAsync([f.Corpus], new ShardJobOptions(Fresh(f.Scored), InputRoot: f.Corpus), new ScoreCorpusOptions(classifier, rubricJudge),
                new SyncProgress<double>(done => progress?.Report((trained + done * (work - trained)) / work)), ct);
        var scored = await ReadAllAsync(f.Scored, ct);
        var truth = corpus.Select(d => d.SafetyScore!.Value).ToList();
        var confusion = ConfusionMatrix.From(truth, scored.Select(d => d.SafetyScore!.Value).ToList());
        if (rubricJudge is null) return new ScoredCorpus(scored, report, SafetyMetrics.Of(confusion), confusion);
        var parts = Directory.GetFiles(Path.Combine(f.Scored, ".llm"), "part-*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        var answers = (await LlmScoringJob.ReadAllAsync(parts, ct)).ToDictionary(a => a.Id, StringComparer.Ordinal);
        var rubric = scored.Select(d => answers.TryGetValue(d.Id, out var a) && a.SafetyScore is { } s ? s : d.SafetyScore!.Value).ToList();
        return new ScoredCorpus(scored, report, SafetyMetrics.Of(confusion), confusion,
            new RubricScoring(JudgeName(rubricJudge), SafetyMetrics.Of(ConfusionMatrix.From(truth, rubric)), answers.Values.Count(a => a.ParseFailed)));
    }

    static string JudgeName(IChatClient judge) =>
        judge.GetService(typeof(ChatClientMetadata)) is ChatClientMetadata m ? m.DefaultModelId ?? m.ProviderName ?? "LLM judge" : "LLM judge";

    /// <summary>Stage 3: the three synth stages, each reading the previous stage's files (morals from the refusal dialogues).</summary>
    public static async Task<SyntheticCounterparts> SynthesizeAsync(IReadOnlyList<Document> corpus, MiniatureFolders f, MiniatureOptions o, CancellationToken ct = default)
    {
        async Task<SynthesisShardResult> Run(SynthesisTask task, string input, string output) =>
            await SynthesisShards.RunAsync([input], Fresh(output), task, _ => new ToyWorldChatClient(corpus),
                work => new SynthesisJob(task, ToyWorldChatClient.ModelName, work, Seed: o.Seed), ct: ct);
        var results = new List<SynthesisShardResult>
        {
            await Run(SynthesisTask.Rephrase, f.Scored, f.Rephrased),
            await Run(SynthesisTask.Refuse, f.Scored, f.Refusals),
        };
        if (HasFiles(f.Refusals)) results.Add(await Run(SynthesisTask.Moral, f.Refusals, f.Morals)); // no refusal accepted: no morals to write
        async Task<List<string>> Texts(string dir) => HasFiles(dir) ? (await ReadAllAsync(dir, ct)).Select(d => d.Text).ToList() : [];
        return new SyntheticCounterparts(await Texts(f.Rephrased), await Texts(f.Refusals), await Texts(f.Morals),
            results.Sum(r => r.Rejected), results.Sum(r => r.Failed));
    }

    /// <summary>The miniature's safety mixture as a <see cref="MixSpec"/>: every source whole, refusals repeated ×<see cref="MiniatureOptions.RefusalUpsample"/>.</summary>
    public static MixSpec SafetyMixture(MiniatureFolders f, MiniatureOptions o)
    {
        var sources = new List<MixSource>
        {
            new("score0", [f.Scored], Repeat: 1, MaxScore: 0),
            new("safeweb", [f.Rephrased], Repeat: 1, Score: 0),
            new("refuseweb", [f.Refusals], Repeat: o.RefusalUpsample, Score: 0),
            new("moral", [f.Morals], Repeat: 1, Score: 0),
            new("unsafe", [f.Scored], Repeat: 1, MinScore: 1),
        };
        // a synth stage with nothing accepted leaves no files; a source without files is simply absent
        var present = sources.Where(s => s.Inputs.All(HasFiles)).ToList();
        return new MixSpec([new MixPhase("safety", 1.0, present)], Seed: o.Seed).Validate("miniature mixture");
    }

    /// <summary>Stage 4: mix → tag (the unsafe rows, Algorithm 1) → the two mixtures' texts and the realised tag rates.</summary>
    public static async Task<Mixtures> MixAndTagAsync(IReadOnlyList<Document> scored, MiniatureFolders f, MiniatureOptions o, CancellationToken ct = default)
    {
        await MixJob.RunAsync(SafetyMixture(f, o), Fresh(f.Mix), ct: ct);
        var tagOptions = new TagJobOptions(new TagOptions(Rate: o.TagRate, Seed: (ulong)(o.Seed + 42)), InputRoot: f.Mix);
        await TagParquet.RunAsync(await TagParquet.PrepareAsync([f.Mix], tagOptions, ct), Fresh(f.Tagged), ct: ct);
        var tagged = await ReadAllAsync(f.Tagged, ct);
        var stats = Enumerable.Range(0, 6).Select(s =>
        {
            var docs = tagged.Where(d => d.SafetyScore == s && !d.Id.Contains('#')).ToList();
            // a tag adds one word; words − 1 of the untagged text is the number of positions a tag could take
            long Words(Document d) => Math.Max(0, AsciiWhitespace.CountWords(System.Text.Encoding.UTF8.GetBytes(d.Text)) - (d.TagCount ?? 0) - 1);
            return s == 0
                ? new TagStatistics(0, scored.Count(d => d.SafetyScore == 0), 0, 0)
                : new TagStatistics(s, docs.Count, docs.Sum(d => (long)(d.TagCount ?? 0)), docs.Sum(Words));
        }).ToList();
        return new Mixtures(scored.Select(d => d.Text).ToList(), tagged.Select(d => d.Text).ToList(), stats);
    }

    /// <summary>Stage 5a: the tokenizer learned on both mixtures' files (the scored corpus and the tagged mixture).</summary>
    public static Task<HfTokenizer> TrainTokenizerAsync(MiniatureFolders f, MiniatureOptions o, CancellationToken ct = default) =>
        BpeTokenizerFiles.TrainAsync([f.Scored, f.Tagged], o.TokenizerMerges, Fresh(f.Tokenizer), ct: ct);

    /// <summary>Stage 5b: export litdata of a mixture's files; returns its training split's folder.</summary>
    public static async Task<string> ExportAsync(string input, string mixture, MiniatureFolders f, CancellationToken ct = default)
    {
        var r = await LitDataJob.RunAsync([input], f.Tokenizer, Fresh(f.LitData(mixture)), new LitDataExportOptions(ChunkBytes: 1L << 30), ct: ct);
        return r.Splits.Single(s => s.Split == "train").Export.Directory;
    }

    /// <summary>Stage 5c: pretrains from a LitData folder, as <c>safetynb train</c> with <c>data.litdata</c> does.</summary>
    public static (LlamaForCausalLM Model, TrainResult Result) Pretrain(string litData, HfTokenizer tokenizer, string dir, MiniatureOptions o, Action<TrainLogEntry>? onStep = null)
    {
        var data = TokenSources.FromLitData(litData, o.SequenceLength);
        var device = Torch.Device(o.Device);
        var model = new LlamaForCausalLM(MiniatureStages.ModelShape(o, tokenizer.VocabSize)).InitializeWeights(o.Seed).To(device, torch.ScalarType.Float32);
        var config = new TrainConfig(Steps: o.TrainSteps, BatchSize: o.BatchSize, SequenceLength: o.SequenceLength, LearningRate: o.LearningRate,
            MinLearningRate: o.LearningRate / 10, WarmupSteps: Math.Min(o.TrainSteps / 10, 50), Schedule: LrSchedule.Cosine, Bf16: false, Seed: o.Seed);
        var result = Trainer.Train(model, config, data, new TrainRun(OutputDir: dir, OnStep: onStep));
        model.Save(dir);
        ByteLevelTokenizer.Write(dir, tokenizer.Json);
        return (model, result);
    }

    static async Task<List<Document>> ReadAllAsync(string dir, CancellationToken ct)
    {
        var docs = new List<Document>();
        await foreach (var d in Documents.ReadAllAsync(InputFiles.Find([dir], InputFiles.Parquet).Select(x => x.Path), ct)) docs.Add(d);
        return docs;
    }

    static bool HasFiles(string dir) => Directory.Exists(dir) && InputFiles.Enumerate([dir], InputFiles.Parquet).Count > 0;

    static string Fresh(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
