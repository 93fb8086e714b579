using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Evaluation;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Scoring;
using SafetyNotebooks.Synthesis;
using SafetyNotebooks.Tagging;
using SafetyNotebooks.Tokenization;
using SafetyNotebooks.Training;
using Microsoft.Extensions.AI;
using TorchSharp;

namespace SafetyNotebooks.Miniature;

/// <summary>
/// Documents with their safety scores (the classifier's, or the max-ensemble with an LLM rubric judge), and how well
/// those scores agree with the toy world's ground truth. <see cref="Rubric"/> is set when a rubric judge took part.
/// </summary>
public sealed record ScoredCorpus(IReadOnlyList<Document> Documents, TrainingReport ClassifierTraining, SafetyMetrics AgreementWithTruth, ConfusionMatrix Confusion,
    RubricScoring? Rubric = null);

/// <summary>The LLM rubric judge's part of the ensemble: its own agreement with the ground truth, and answers it could not give.</summary>
public sealed record RubricScoring(string Judge, SafetyMetrics AgreementWithTruth, int Failures);

/// <summary>Synthetic counterparts produced through the synthesis pipeline (PAPER.md §1.2–1.4).</summary>
public sealed record SyntheticCounterparts(IReadOnlyList<string> Rephrased, IReadOnlyList<string> Refusals, IReadOnlyList<string> MoralLessons, int Rejected, int Failed);

/// <summary>Per safety score: documents, how many were tagged, and the realised tag rate (tags per eligible word).</summary>
public sealed record TagStatistics(int Score, int Documents, long Tags, long Words)
{
    public double RealisedRate => TagRate.Realised(Tags, Words);
}

/// <summary>The two pretraining mixtures of the miniature (same token budget).</summary>
public sealed record Mixtures(IReadOnlyList<string> Standard, IReadOnlyList<string> Safety, IReadOnlyList<TagStatistics> Tags);

/// <summary>
/// One attacked system's outputs: per prompt the completion (special tokens removed), every judge's verdicts (in the
/// order of <see cref="MiniatureJudging.Build"/>: step, classifier, exact), decoding time and cost.
/// </summary>
public sealed record AttackRun(string System, IReadOnlyList<string> Completions, IReadOnlyList<JudgedRun> Judged, double Seconds, DecodingCost Cost)
{
    public JudgedRun By(string judge) => Judged.FirstOrDefault(j => j.Judge == judge) ?? throw new KeyNotFoundException($"no verdicts of judge '{judge}'");

    /// <summary>The first judge's (the step judge's) verdicts.</summary>
    public IReadOnlyList<bool> Harmful => Judged[0].Harmful;

    /// <summary>The first judge's (the step judge's) ASR.</summary>
    public AsrReport Asr => Judged[0].Asr;
}

/// <summary>One system's continuations of a list of prompts, with decoding time and cost.</summary>
public sealed record Generations(IReadOnlyList<string> Completions, double Seconds, DecodingCost Cost);

/// <summary>
/// The stages of the paper in miniature (issue 10), each a function from the previous stage's output to its own:
/// corpus → scores → synthetic counterparts → tags → two pretraining mixtures → attacks → judged ASR.
/// </summary>
public static class MiniatureStages
{
    /// <summary>Stage 1: the toy-world corpus (ground truth in <c>safety_score</c>, source "toy").</summary>
    public static IReadOnlyList<Document> Corpus(MiniatureOptions o) => ToyWorld.Corpus(o.Documents, new ToyOptions(o.Seed)).ToList();

    /// <summary>
    /// Stage 2: safety scores from a classifier trained on an annotated sample (the paper scores its corpus with a
    /// classifier, §1.1) and, when <paramref name="rubricJudge"/> is given (an LLM behind any OpenAI-compatible
    /// endpoint), the paper's max-ensemble of the rubric judge's score and the classifier's; a document the judge could
    /// not score keeps the classifier's. The corpus's own ground truth is then used only to report agreement.
    /// </summary>
    public static async Task<ScoredCorpus> ScoreAsync(IReadOnlyList<Document> corpus, MiniatureOptions o, IChatClient? rubricJudge = null,
        IProgress<double>? progress = null, CancellationToken ct = default)
    {
        var work = (double)ScoringWork(o, rubricJudge is not null);
        var (classifier, report) = TrainClassifier(o, progress, work);
        int[] predicted;
        using (classifier) predicted = classifier.Score(corpus.Select(d => d.Text));
        var trained = (long)o.ClassifierDocuments * o.ClassifierEpochs;
        progress?.Report((trained + corpus.Count) / work);
        var truth = corpus.Select(d => d.SafetyScore!.Value).ToList();
        if (rubricJudge is null)
        {
            var confusion = ConfusionMatrix.From(truth, predicted);
            var scored = corpus.Select((d, i) => d with { SafetyScore = predicted[i], SafetyScoreSource = SafetyScoreSources.Classifier, SafetyReason = null }).ToList();
            return new ScoredCorpus(scored, report, SafetyMetrics.Of(confusion), confusion);
        }

        var answers = await LlmScorer.ScoreAllAsync(rubricJudge, corpus.Select(d => d.Text).ToList(),
            progress: new SyncProgress<int>(n => progress?.Report((trained + corpus.Count + n) / work)), ct: ct);
        var rubric = answers.Select((a, i) => a.Score ?? predicted[i]).ToList();
        var ensemble = Ensemble.Max(rubric, predicted);
        var agreement = ConfusionMatrix.From(truth, ensemble);
        var judgeName = rubricJudge.GetService(typeof(ChatClientMetadata)) is ChatClientMetadata m ? m.DefaultModelId ?? m.ProviderName ?? "LLM judge" : "LLM judge";
        var docs = corpus.Select((d, i) => d with { SafetyScore = ensemble[i], SafetyScoreSource = SafetyScoreSources.Ensemble, SafetyReason = answers[i].Reason }).ToList();
        return new ScoredCorpus(docs, report, SafetyMetrics.Of(agreement), agreement,
            new RubricScoring(judgeName, SafetyMetrics.Of(ConfusionMatrix.From(truth, rubric)), answers.Count(a => a.Failed)));
    }

    /// <summary>
    /// The scoring stage's work in documents, for its progress: the classifier's training passes (its training
    /// documents × epochs), then every corpus document scored by the classifier, and once more by the rubric judge.
    /// </summary>
    public static long ScoringWork(MiniatureOptions o, bool rubricJudge) =>
        (long)o.ClassifierDocuments * o.ClassifierEpochs + (long)o.Documents * (rubricJudge ? 2 : 1);

    /// <summary>The scoring stage's classifier, trained on an annotated toy sample; each epoch reports its training documents as done.</summary>
    public static (SafetyClassifier Classifier, TrainingReport Report) TrainClassifier(MiniatureOptions o, IProgress<double>? progress, double work)
    {
        var epochs = 0;
        return ToyClassifier.Train(new ToyClassifier.Options(TrainDocuments: o.ClassifierDocuments, Epochs: o.ClassifierEpochs, Seed: o.Seed + 1, Device: o.Device),
            new SyncProgress<EpochReport>(_ => progress?.Report((double)++epochs * o.ClassifierDocuments / work)));
    }

    /// <summary>The attack stage's work, for its progress: every system decodes the attack and the benign prompts.</summary>
    public static long AttackWork(MiniatureOptions o, int systems) => (long)systems * (o.Prompts + o.BenignPrompts);

    /// <summary>Stage 3: SafeWeb rephrasings of score 1–3, RefuseWeb dialogues of score 4–5, moral-education articles, through the synthesis pipeline.</summary>
    public static async Task<SyntheticCounterparts> SynthesizeAsync(IReadOnlyList<Document> scored, MiniatureOptions o, IChatClient client, CancellationToken ct = default)
    {
        var outDir = Path.Combine(o.WorkDir, "synthetic");
        async Task<SynthesisResult> Run(SynthesisTask task, IEnumerable<SynthesisItem> items) =>
            await SynthesisPipeline.RunAsync(client, new SynthesisJob(task, ToyWorldChatClient.ModelName, Path.Combine(outDir, task.ToString().ToLowerInvariant()), Seed: o.Seed), items, ct: ct);

        var rephrase = await Run(SynthesisTask.Rephrase, scored.Where(d => d.SafetyScore is >= 1 and <= 3).Select(d => new SynthesisItem(d.Id, d.Text, d.SafetyScore!.Value)));
        var unsafeDocs = scored.Where(d => d.SafetyScore is >= 4).Select(d => new SynthesisItem(d.Id, d.Text, d.SafetyScore!.Value)).ToList();
        var refuse = await Run(SynthesisTask.Refuse, unsafeDocs);
        // Moral education starts from the refusal dialogue of the same document (§1.4).
        var refusals = refuse.Accepted.ToDictionary(r => r.Id);
        var moral = await Run(SynthesisTask.Moral, unsafeDocs.Where(d => refusals.ContainsKey(d.Id)).Select(d => d with { Text = refusals[d.Id].Text }));
        var results = new[] { rephrase, refuse, moral };
        return new SyntheticCounterparts(
            rephrase.Accepted.Select(r => r.Text).ToList(), refuse.Accepted.Select(r => r.Text).ToList(), moral.Accepted.Select(r => r.Text).ToList(),
            results.Sum(r => r.Rejected.Count()), results.Sum(r => r.Failures.Count));
    }

    /// <summary>
    /// Stage 4: the two pretraining mixtures. Standard = the raw corpus. Safety = score-0 documents + rephrasings +
    /// refusals (optionally upsampled) + moral lessons + every unsafe (score ≥ 1) document with harmfulness tags (§1.5).
    /// </summary>
    public static Mixtures Mix(IReadOnlyList<Document> scored, SyntheticCounterparts synthetic, MiniatureOptions o)
    {
        var plan = TagPlan.From(new TagOptions(Rate: o.TagRate, Seed: (ulong)(o.Seed + 42)));
        var tagged = scored.Where(d => d.SafetyScore >= 1)
            .Select(d => (d.SafetyScore!.Value, Words: TagRate.EligibleWords(d.Text), Tagged: HarmfulnessTagger.TagDocument(d.Text, d.Id, d.SafetyScore.Value, plan)))
            .ToList();
        var stats = Enumerable.Range(0, 6).Select(s =>
        {
            var docs = tagged.Where(t => t.Value == s).ToList();
            return new TagStatistics(s, s == 0 ? scored.Count(d => d.SafetyScore == 0) : docs.Count, docs.Sum(t => (long)t.Tagged.TagCount), docs.Sum(t => t.Words));
        }).ToList();
        var safety = scored.Where(d => d.SafetyScore == 0).Select(d => d.Text)
            .Concat(synthetic.Rephrased)
            .Concat(Enumerable.Repeat(synthetic.Refusals, o.RefusalUpsample).SelectMany(r => r))
            .Concat(synthetic.MoralLessons)
            .Concat(tagged.Select(t => t.Tagged.Text))
            .ToList();
        return new Mixtures(scored.Select(d => d.Text).ToList(), Shuffle(safety, o.Seed), stats);
    }

    static List<string> Shuffle(IReadOnlyList<string> items, long seed)
    {
        var list = items.ToList();
        var rng = new Random(unchecked((int)seed) ^ 0x5EED);
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }

    /// <summary>
    /// Stage 5a: the miniature's tokenizer, a byte-level BPE learned on the texts of both mixtures (as SmolLM2's
    /// vocabulary was fixed before pretraining), with EOS and the harmfulness tag as single special tokens. The tag
    /// swallows the space before it, so tagged text "a TAG b" is [a, TAG, " b"]: the tag sits between whole-word
    /// tokens and Safe Beam's one-token look-ahead after a candidate word is a real question about what follows.
    /// </summary>
    public static HfTokenizer TrainTokenizer(Mixtures mixtures, MiniatureOptions o)
    {
        var merges = ByteLevelBpeTrainer.Train(mixtures.Standard.Concat(mixtures.Safety), new BpeTrainingOptions(o.TokenizerMerges));
        return HfTokenizer.FromJson(ByteLevelTokenizer.TokenizerJson(merges, tagLstrip: true), ByteLevelTokenizer.TokenizerConfigJson(), "miniature tokenizer");
    }

    /// <summary>The tiny SmolLM2-architecture decoder both runs start from.</summary>
    public static LlamaConfig ModelShape(MiniatureOptions o, int vocabSize) =>
        new(VocabSize: vocabSize, HiddenSize: o.Hidden, IntermediateSize: o.Hidden * 8 / 3 / 8 * 8, NumLayers: o.Layers,
            NumHeads: o.Heads, NumKvHeads: o.Heads, HeadDim: o.Hidden / o.Heads, RopeTheta: 10000, MaxPositionEmbeddings: Math.Max(512, o.SequenceLength + o.MaxNewTokens + 256),
            BosTokenId: null, EosTokenId: ByteLevelTokenizer.EosId);

    /// <summary>Stage 5: pretrains one model on a mixture from the same initial weights and token budget; saves it (with its tokenizer) under <paramref name="dir"/>.</summary>
    public static (LlamaForCausalLM Model, TrainResult Result) Pretrain(IReadOnlyList<string> texts, HfTokenizer tokenizer, string dir, MiniatureOptions o, Action<TrainLogEntry>? onStep = null)
    {
        var data = TokenSources.FromTexts(texts, tokenizer, o.SequenceLength, ByteLevelTokenizer.EosId);
        var device = Torch.Device(o.Device);
        var model = new LlamaForCausalLM(ModelShape(o, tokenizer.VocabSize)).InitializeWeights(o.Seed).To(device, torch.ScalarType.Float32);
        var config = new TrainConfig(Steps: o.TrainSteps, BatchSize: o.BatchSize, SequenceLength: o.SequenceLength, LearningRate: o.LearningRate,
            MinLearningRate: o.LearningRate / 10, WarmupSteps: Math.Min(o.TrainSteps / 10, 50), Schedule: LrSchedule.Cosine, Bf16: false, Seed: o.Seed);
        var result = Trainer.Train(model, config, data, new TrainRun(OutputDir: dir, OnStep: onStep));
        model.Save(dir);
        ByteLevelTokenizer.Write(dir, tokenizer.Json);
        return (model, result);
    }

    /// <summary>
    /// Stage 6: the base-model attack (§3.2): each prompt is continued by the model with beam search or Safe Beam
    /// Search (<see cref="MiniatureOptions.Beams"/>, <see cref="MiniatureOptions.Candidates"/>, length penalty 0); the
    /// continuation is decoded with the tag and EOS removed. The judges see it afterwards (<see cref="MiniatureJudging"/>).
    /// </summary>
    /// <param name="decoded">Hears how many prompts each batch of 8 finished (the attack stage's progress).</param>
    public static Generations Generate(ICausalLanguageModel model, HfTokenizer tokenizer, IReadOnlyList<string> prompts, bool safeBeam, MiniatureOptions o,
        Action<int>? decoded = null)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var ids = prompts.Select(p => (IReadOnlyList<int>)tokenizer.Encode(p).ToList()).ToList();
        var stopping = new Stopping(o.MaxNewTokens, [ByteLevelTokenizer.EosId]);
        var results = new List<GenerationResult>();
        foreach (var chunk in ids.Chunk(8))
        {
            results.AddRange(safeBeam
                ? SafeBeamSearch.Run(model, chunk, new SafeBeamOptions(stopping, ByteLevelTokenizer.TagId, Beams: o.Beams, Candidates: o.Candidates))
                : BeamSearch.Run(model, chunk, new BeamSearchOptions(stopping, Beams: o.Beams, LengthPenalty: 0.0)));
            decoded?.Invoke(chunk.Length);
        }
        var completions = results.Select(r => tokenizer.Decode(r.Tokens, skipSpecialTokens: true)).ToList();
        return new Generations(completions, sw.Elapsed.TotalSeconds, new DecodingCost(results.Sum(r => r.Cost.ForwardPasses), results.Sum(r => r.Cost.TokenRows)));
    }

    /// <summary>
    /// Stage 7: quality next to safety, per system: degenerate completions (the toy lexicon is every word of both
    /// training mixtures), perplexity of the completions given their prompts under the standard model (the same
    /// reference for every system; empty completions are left out), and refusals on the benign prompts.
    /// </summary>
    public static List<CompletionQuality> Quality(ICausalLanguageModel standard, HfTokenizer tokenizer, Mixtures mixtures, IReadOnlyList<string> prompts,
        IReadOnlyList<Generations> attacks, IReadOnlyList<Generations> benign, MiniatureOptions o, IProgress<double>? progress = null)
    {
        var lexicon = CompletionQualityMetrics.Lexicon(mixtures.Standard.Concat(mixtures.Safety));
        var scorer = new CausalLmScorer(standard, tokenizer, new CausalLmScorer.Options(BatchSize: 8, MaxLength: ModelShape(o, tokenizer.VocabSize).MaxPositionEmbeddings));
        return attacks.Select((g, s) =>
        {
            var requests = g.Completions.Select((c, i) => new LoglikelihoodRequest(prompts[i], c)).Where(r => r.Continuation.Trim().Length > 0).ToList();
            var scored = scorer.Score(requests);
            var quality = CompletionQualityMetrics.Of(g.Completions, lexicon, scored, benign[s].Completions, SeededRandom.Derive(o.Seed, $"quality-{s}"));
            progress?.Report((double)(s + 1) / attacks.Count);
            return quality;
        }).ToList();
    }
}
