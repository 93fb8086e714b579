using System.Diagnostics;
using System.Text.Json;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Scoring;

/// <summary>A text with its 0–5 safety label.</summary>
public sealed record LabeledText(string Text, int Score);

/// <summary>One phase of training: either the linear head alone (LP) or every parameter (FT).</summary>
public sealed record TrainingStage(string Name, bool HeadOnly, double LearningRate, int BatchSize, int Epochs, double WeightDecay);

/// <summary>
/// How to train a classifier. <see cref="InitFrom"/> names a pretrained classifier folder to fine-tune; without it a
/// small encoder (<see cref="GteConfig.Toy"/>) and a word-level WordPiece vocabulary built from the training texts are
/// trained from scratch. <see cref="CheckpointDir"/> enables atomic per-epoch checkpoints and resuming.
/// <see cref="Threads"/>, when set, is torch's intra-op thread count for the duration of training (restored after):
/// a tiny encoder gains nothing from more threads, and on a busy machine their spin-waiting made a toy run ~13× slower.
/// </summary>
public sealed record TrainingOptions(
    IReadOnlyList<TrainingStage> Stages,
    double Lambda = 100,
    long Seed = 0,
    int MaxLength = 512,
    string? InitFrom = null,
    string? CheckpointDir = null,
    string? Device = null,
    int VocabSize = 4096,
    int EvalBatchSize = 64,
    int? Threads = null)
{
    /// <summary>The paper's recipe for large encoders (LP-FT): head alone 1 epoch (lr 1e-3, batch 32), then everything 5 epochs (lr 1e-6, batch 8, wd 0.001).</summary>
    public static IReadOnlyList<TrainingStage> LpFt { get; } =
    [
        new("linear-probe", HeadOnly: true, LearningRate: 1e-3, BatchSize: 32, Epochs: 1, WeightDecay: 0),
        new("fine-tune", HeadOnly: false, LearningRate: 1e-6, BatchSize: 8, Epochs: 5, WeightDecay: 0.001),
    ];

    /// <summary>The paper's recipe for smaller encoders: full fine-tuning, lr 1e-5, batch 8, wd 0.001, 50 epochs.</summary>
    public static IReadOnlyList<TrainingStage> SmallModel { get; } =
    [
        new("fine-tune", HeadOnly: false, LearningRate: 1e-5, BatchSize: 8, Epochs: 50, WeightDecay: 0.001),
    ];

    /// <summary>
    /// From scratch on the toy world: full fine-tuning of a randomly initialised tiny encoder, with the same defaults as
    /// <see cref="ToyClassifier"/> (no linear probe: a head on random features learns nothing; see there for the evidence).
    /// </summary>
    public static IReadOnlyList<TrainingStage> Toy(int epochs = 5, double learningRate = 2e-3, int batchSize = 16, double probeLearningRate = 1e-2, int probeEpochs = 0) =>
    [
        .. probeEpochs > 0 ? [new TrainingStage("linear-probe", HeadOnly: true, LearningRate: probeLearningRate, BatchSize: 32, Epochs: probeEpochs, WeightDecay: 0)] : Array.Empty<TrainingStage>(),
        new("fine-tune", HeadOnly: false, LearningRate: learningRate, BatchSize: batchSize, Epochs: epochs, WeightDecay: 0.001),
    ];

    /// <summary>Named recipes for configuration files: lp-ft, small-model, toy.</summary>
    public static IReadOnlyList<TrainingStage> Recipe(string name, int toyEpochs = 5) => name switch
    {
        "lp-ft" => LpFt,
        "small-model" => SmallModel,
        "toy" => Toy(toyEpochs),
        _ => throw new BadInputException("unknown recipe (expected lp-ft, small-model or toy)", "training options", "recipe", name),
    };
}

/// <summary>Held-out results after one epoch.</summary>
public sealed record EpochReport(string Stage, int Epoch, double TrainLoss, SafetyMetrics Eval, long[][] Confusion, double Seconds);

/// <summary>Every epoch's report, the final held-out metrics and whether the run resumed from a checkpoint.</summary>
public sealed record TrainingReport(IReadOnlyList<EpochReport> Epochs, SafetyMetrics Final, ConfusionMatrix Confusion, bool Resumed, double Seconds);

/// <summary>
/// The paper's classifier training (PAPER.md §1.1): cross-entropy over the 6 scores where every example with a score
/// above 0 weighs λ and score-0 examples weigh 1 (loss = Σ wᵢ·CEᵢ / Σ wᵢ, PyTorch's weighted mean), AdamW, seeded
/// shuffling per epoch, held-out evaluation after every epoch (chunked, max over chunks). Training inputs are the first
/// chunk of each text. With a checkpoint folder, each epoch ends with an atomic checkpoint (weights, tokenizer,
/// optimizer state, history) and a rerun continues after the last completed epoch.
/// </summary>
public static class ClassifierTraining
{
    const string CheckpointName = "checkpoint";

    sealed record CheckpointState(int Stage, int Epoch, List<EpochReport> History, long OptimizerStep = 0);

    /// <summary>Per-example weights: 1 for score 0, λ otherwise.</summary>
    public static float[] ExampleWeights(IEnumerable<int> scores, double lambda) => scores.Select(s => s > 0 ? (float)lambda : 1f).ToArray();

    /// <summary>λ-weighted cross-entropy (weighted mean) of logits [B, 6] against scores [B].</summary>
    public static Tensor WeightedLoss(Tensor logits, Tensor scores, double lambda)
    {
        var ce = nn.functional.cross_entropy(logits, scores, reduction: nn.Reduction.None);
        var w = where(scores.gt(0), (float)lambda, 1f).to(ce.dtype);
        return (ce * w).sum() / w.sum();
    }

    /// <summary>A permutation of 0..n-1 that depends only on the seed and the epoch, in every process.</summary>
    public static int[] Shuffle(int n, long seed, int epoch)
    {
        var order = Enumerable.Range(0, n).ToArray();
        new Random(ShuffleSeed(seed, epoch)).Shuffle(order);
        return order;
    }

    // SplitMix64 finaliser over (seed, epoch). Not HashCode.Combine: its hashes are randomised per process, which made
    // two runs with the same seed shuffle differently (toy held-out F1 varied 0.88–0.92 from run to run).
    static int ShuffleSeed(long seed, int epoch) =>
        (int)(SplitMix64.Mix(unchecked((ulong)seed * SplitMix64.Gamma + (ulong)(uint)epoch + 0x5AFEUL)) & int.MaxValue);

    public static (SafetyClassifier Classifier, TrainingReport Report) Train(
        IReadOnlyList<LabeledText> train, IReadOnlyList<LabeledText> eval, TrainingOptions o, IProgress<EpochReport>? progress = null) =>
        WithThreads(o.Threads, () => TrainWith(train, eval, o, progress));

    /// <summary>Runs <paramref name="work"/> with torch's intra-op thread count set to <paramref name="threads"/> (when given), restoring it after.</summary>
    public static T WithThreads<T>(int? threads, Func<T> work)
    {
        if (threads is not { } n) return work();
        if (n < 1) throw new BadInputException("must be at least 1", "training options", "threads", n.ToString());
        var previous = get_num_threads();
        set_num_threads(n);
        try { return work(); }
        finally { set_num_threads(previous); }
    }

    static (SafetyClassifier Classifier, TrainingReport Report) TrainWith(
        IReadOnlyList<LabeledText> train, IReadOnlyList<LabeledText> eval, TrainingOptions o, IProgress<EpochReport>? progress)
    {
        Validate(train, eval, o);
        var clock = Stopwatch.StartNew();
        var device = Torch.Device(o.Device);
        Torch.Seed(o.Seed);
        var checkpoint = o.CheckpointDir is null ? null : Path.Combine(o.CheckpointDir, CheckpointName);
        var state = ReadCheckpointState(checkpoint);
        var classifier = state is not null ? SafetyClassifier.Load(checkpoint!, device.ToString(), o.MaxLength)
            : o.InitFrom is not null ? SafetyClassifier.Load(o.InitFrom, device.ToString(), o.MaxLength)
            : FromScratch(train, o, device);
        var run = new Run(classifier, FirstChunks(train, classifier.Tokenizer, o.MaxLength), eval, o, device, checkpoint, state, state?.History ?? [], progress);

        var firstEpoch = 0; // epochs count across stages: each one's shuffle differs
        for (var s = 0; s < o.Stages.Count; firstEpoch += o.Stages[s].Epochs, s++)
            RunStage(run, s, firstEpoch);
        foreach (var p in classifier.Model.parameters()) p.requires_grad = true;
        classifier.Model.eval();
        var (final, finalConfusion) = Evaluate(classifier, eval, o.EvalBatchSize);
        return (classifier, new TrainingReport(run.History, final, finalConfusion, state is not null, clock.Elapsed.TotalSeconds));
    }

    /// <summary>What every stage and epoch of one training run shares; <see cref="History"/> grows by one report per epoch.</summary>
    sealed record Run(
        SafetyClassifier Classifier, (int[] Ids, int Score)[] Examples, IReadOnlyList<LabeledText> Eval, TrainingOptions Options, Device Device,
        string? Checkpoint, CheckpointState? State, List<EpochReport> History, IProgress<EpochReport>? Progress)
    {
        // epochs up to the checkpoint's were completed before this run resumed
        public bool Done(int stage, int epoch) => State is not null && (stage < State.Stage || stage == State.Stage && epoch <= State.Epoch);
    }

    static void Validate(IReadOnlyList<LabeledText> train, IReadOnlyList<LabeledText> eval, TrainingOptions o)
    {
        if (train.Count == 0) throw new BadInputException("no training examples", "training data");
        if (eval.Count == 0) throw new BadInputException("no held-out examples", "evaluation data");
        foreach (var x in train.Concat(eval))
            if (x.Score is < 0 or > 5) throw new BadInputException("labels must be safety scores 0..5", "training data", "score", x.Score.ToString());
        if (o.Stages.Count == 0) throw new BadInputException("no training stages", "training options", "stages");
    }

    static CheckpointState? ReadCheckpointState(string? checkpoint) =>
        checkpoint is not null && File.Exists(Path.Combine(checkpoint, "state.json"))
            ? JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(checkpoint, "state.json")))
            : null;

    // training inputs are the first chunk of each text
    static (int[] Ids, int Score)[] FirstChunks(IReadOnlyList<LabeledText> train, WordPieceTokenizer tok, int maxLength) =>
        train.Select(x => (Ids: Chunking.Split(tok.Encode(x.Text), maxLength, tok.ClsId, tok.SepId).First(), x.Score)).ToArray();

    // one stage: the trainable parameters (the head alone for LP), its AdamW (restored when resuming inside it), its epochs
    static void RunStage(Run run, int s, int firstEpoch)
    {
        var stage = run.Options.Stages[s];
        var model = run.Classifier.Model;
        var head = model.HeadParameters().ToHashSet();
        foreach (var p in model.parameters()) p.requires_grad = !stage.HeadOnly || head.Contains(p);
        // the toolkit's one AdamW (Training/AdamW.cs, PyTorch's update), over the stage's parameters
        using var optimizer = new Training.AdamW(model.named_parameters().Where(p => !stage.HeadOnly || head.Contains(p.parameter)).Select(p => (p.name, (Tensor)p.parameter)));
        var optimizerFile = run.Checkpoint is null ? null : Path.Combine(run.Checkpoint, OptimizerFile);
        if (run.State is { } state && state.Stage == s && state.Epoch < stage.Epochs && File.Exists(optimizerFile))
            RestoreOptimizer(optimizer, optimizerFile, state.OptimizerStep);

        for (var e = 1; e <= stage.Epochs; e++)
        {
            if (run.Done(s, e)) continue;
            var epochClock = Stopwatch.StartNew();
            var loss = TrainEpoch(run, stage, optimizer, firstEpoch + e - 1);
            var (metrics, confusion) = Evaluate(run.Classifier, run.Eval, run.Options.EvalBatchSize);
            var report = new EpochReport(stage.Name, e, loss, metrics, confusion.ToRows(), epochClock.Elapsed.TotalSeconds);
            run.History.Add(report);
            run.Progress?.Report(report);
            if (run.Checkpoint is not null) WriteCheckpoint(run.Checkpoint, run.Classifier, optimizer, new CheckpointState(s, e, run.History, optimizer.Step));
        }
    }

    // one pass over the seeded shuffle of the examples; the mean batch loss
    static double TrainEpoch(Run run, TrainingStage stage, Training.AdamW optimizer, int globalEpoch)
    {
        var (model, tok, device) = (run.Classifier.Model, run.Classifier.Tokenizer, run.Device);
        model.train();
        double lossSum = 0;
        var batches = 0;
        foreach (var idx in Shuffle(run.Examples.Length, run.Options.Seed, globalEpoch).Chunk(stage.BatchSize))
        {
            using var scope = NewDisposeScope();
            var batch = Chunking.Batches(idx.Select(i => new Chunk(i, run.Examples[i].Ids)), idx.Length, tok.PadId).Single();
            var labels = tensor(batch.Documents.Select(i => (long)run.Examples[i].Score).ToArray(), device: device);
            model.zero_grad();
            var logits = model.Forward(tensor(batch.InputIds, device: device), tensor(batch.AttentionMask, device: device)).Logits;
            var loss = WeightedLoss(logits.to(ScalarType.Float32), labels, run.Options.Lambda);
            loss.backward();
            optimizer.Update(stage.LearningRate, Beta1, Beta2, Epsilon, stage.WeightDecay);
            lossSum += loss.item<float>();
            batches++;
        }
        return lossSum / Math.Max(1, batches);
    }

    /// <summary>Held-out metrics of <paramref name="classifier"/> on <paramref name="eval"/>.</summary>
    public static (SafetyMetrics Metrics, ConfusionMatrix Confusion) Evaluate(SafetyClassifier classifier, IReadOnlyList<LabeledText> eval, int batchSize = 64)
    {
        var predicted = classifier.Score(eval.Select(x => x.Text), batchSize);
        var m = ConfusionMatrix.From(eval.Select(x => x.Score), predicted);
        return (SafetyMetrics.Of(m), m);
    }

    static SafetyClassifier FromScratch(IReadOnlyList<LabeledText> train, TrainingOptions o, Device device)
    {
        var tokenizer = WordPieceTokenizer.BuildWordVocabulary(train.Select(x => x.Text), o.VocabSize);
        var model = new GteForSequenceClassification(GteConfig.Toy(tokenizer.VocabSize, o.MaxLength));
        model.InitializeWeights(o.Seed);
        model.to(device);
        return new SafetyClassifier(model, tokenizer, o.MaxLength, device);
    }

    // torch.optim.AdamW's defaults, which the classifier has always trained with
    const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    const string OptimizerFile = "optimizer.safetensors";

    static void RestoreOptimizer(Training.AdamW optimizer, string path, long step)
    {
        var moments = Safetensors.Load(path);
        try { optimizer.Restore(moments, step, path); }
        finally { foreach (var t in moments.Values) t.Dispose(); }
    }

    // Writes the whole checkpoint into a sibling folder, then swaps it in; a kill leaves either the old or the new one.
    static void WriteCheckpoint(string checkpoint, SafetyClassifier classifier, Training.AdamW optimizer, CheckpointState state)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(checkpoint))!;
        var fresh = Path.Combine(parent, $".{CheckpointName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(fresh);
        classifier.Save(fresh);
        Safetensors.Save(Path.Combine(fresh, OptimizerFile), optimizer.StateTensors());
        AtomicFile.WriteAllText(Path.Combine(fresh, "state.json"), JsonSerializer.Serialize(state));
        var old = checkpoint + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (Directory.Exists(checkpoint)) Directory.Move(checkpoint, old);
        Directory.Move(fresh, checkpoint);
        if (Directory.Exists(old)) Directory.Delete(old, true);
    }
}
