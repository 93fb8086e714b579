using FsCheck;
using FsCheck.Fluent;
using SafetyNotebooks.Scoring;
using static TorchSharp.torch;

namespace SafetyNotebooks.Tests.Scoring;

/// <summary>One keyword classifier trained once and shared by the tests that only read it.</summary>
public sealed class KeywordClassifierFixture : IDisposable
{
    public SafetyClassifier Classifier { get; }
    public TrainingReport Report { get; }

    public KeywordClassifierFixture() =>
        (Classifier, Report) = SafetyClassifier.Train(ClassifierTests.Corpus(240, 1), ClassifierTests.Corpus(60, 2), ClassifierTests.Tiny(epochs: 6));

    public void Dispose() => Classifier.Dispose();
}

public sealed class ClassifierTests(KeywordClassifierFixture trained) : IClassFixture<KeywordClassifierFixture>
{
    // A labelled corpus where the score is carried by one keyword among filler words.
    internal static List<LabeledText> Corpus(int n, int seed)
    {
        var rng = new Random(seed);
        string[] filler = ["the", "river", "garden", "people", "walk", "today", "bright", "history", "music", "school", "table", "morning"];
        string[] keyword = ["lovely", "damn", "idiot", "weapon", "slur", "bomb"];
        return Enumerable.Range(0, n).Select(_ =>
        {
            var score = rng.Next(3) == 0 ? rng.Next(1, 6) : 0;
            var words = Enumerable.Range(0, rng.Next(5, 12)).Select(_ => filler[rng.Next(filler.Length)]).ToList();
            words.Insert(rng.Next(words.Count), keyword[score]);
            return new LabeledText(string.Join(' ', words), score);
        }).ToList();
    }

    internal static TrainingOptions Tiny(string? checkpoint = null, int epochs = 3) =>
        new([new("linear-probe", true, 1e-2, 16, 1, 0), new("fine-tune", false, 3e-3, 16, epochs, 0.001)],
            Lambda: 3, Seed: 11, MaxLength: 24, CheckpointDir: checkpoint, Device: "cpu");

    [Fact]
    public void Toy_training_learns_the_keyword_scores_and_the_saved_classifier_scores_the_same()
    {
        var (classifier, report) = (trained.Classifier, trained.Report);
        Assert.Equal(7, report.Epochs.Count);
        Assert.True(report.Epochs[^1].TrainLoss < report.Epochs[0].TrainLoss, "loss went down");
        Assert.True(report.Final.F1Macro > 0.6, $"F1 {report.Final.F1Macro}");
        Assert.True(report.Final.RecallAt1 > 0.8, $"Recall@1 {report.Final.RecallAt1}");

        var dir = Foundation.TestDirs.Fresh();
        classifier.Save(dir);
        using var loaded = SafetyClassifier.Load(dir, "cpu");
        var texts = Corpus(20, 3).Select(x => x.Text).ToList();
        Assert.Equal(classifier.Score(texts), loaded.Score(texts));
    }

    [Fact]
    public void A_run_stopped_after_an_epoch_resumes_to_the_same_weights_as_an_uninterrupted_run()
    {
        var (train, eval) = (Corpus(64, 4), Corpus(16, 5));
        var (full, fullReport) = ClassifierTraining.Train(train, eval, Tiny(Foundation.TestDirs.Fresh(), epochs: 2));
        var dir = Foundation.TestDirs.Fresh();
        var (first, _) = ClassifierTraining.Train(train, eval, Tiny(dir, epochs: 1)); // "killed" after the first fine-tuning epoch
        first.Dispose();
        var (resumed, report) = ClassifierTraining.Train(train, eval, Tiny(dir, epochs: 2));
        Assert.True(report.Resumed);
        Assert.Equal(fullReport.Epochs.Count, report.Epochs.Count);
        Assert.Equal(fullReport.Epochs.Select(e => e.TrainLoss), report.Epochs.Select(e => e.TrainLoss), (a, b) => Math.Abs(a - b) < 1e-5);
        var a = full.Model.state_dict();
        var b = resumed.Model.state_dict();
        foreach (var (name, t) in a) Assert.True(t.allclose(b[name], rtol: 1e-5, atol: 1e-6), name);
        Assert.Empty(Directory.GetDirectories(dir, ".*")); // no temporary checkpoint left behind
        full.Dispose();
        resumed.Dispose();
    }

    [Fact]
    public void Weighted_loss_is_the_lambda_weighted_mean_of_cross_entropies()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0 }, [3, 6]);
        var labels = tensor(new long[] { 0, 1, 4 });
        var ce = nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.None).data<float>().ToArray();
        var expected = (ce[0] + 100 * ce[1] + 100 * ce[2]) / 201;
        Assert.Equal(expected, ClassifierTraining.WeightedLoss(logits, labels, 100).item<float>(), 5);
        Assert.Equal([1f, 100f, 100f], ClassifierTraining.ExampleWeights([0, 2, 5], 100));
    }

    [Fact]
    public void Shuffling_depends_only_on_seed_and_epoch()
    {
        Assert.Equal(ClassifierTraining.Shuffle(50, 3, 1), ClassifierTraining.Shuffle(50, 3, 1));
        Assert.NotEqual(ClassifierTraining.Shuffle(50, 3, 1), ClassifierTraining.Shuffle(50, 3, 2));
        Assert.Equal(Enumerable.Range(0, 50), ClassifierTraining.Shuffle(50, 3, 1).Order());
        // Pinned: the permutation must not change between processes (a per-process randomised hash once made it do so).
        Assert.Equal("6,4,8,5,1,7,0,3,2,9", string.Join(",", ClassifierTraining.Shuffle(10, 0, 0)));
    }

    [FsCheck.Xunit.Property(MaxTest = 100)]
    public Property Chunks_cover_the_text_in_order_and_never_exceed_the_maximum_length() =>
        Prop.ForAll(Gen.Choose(5, 500).ArrayOf().ToArbitrary(), Gen.Choose(3, 40).ToArbitrary(), (ids, max) =>
        {
            var chunks = Chunking.Split(ids, max, 1, 2).ToList();
            return chunks.All(c => c.Length <= max && c[0] == 1 && c[^1] == 2)
                && chunks.SelectMany(c => c[1..^1]).SequenceEqual(ids)
                && chunks.Count == Math.Max(1, (ids.Length + max - 3) / (max - 2));
        });

    [FsCheck.Xunit.Property(MaxTest = 100)]
    public Property Batches_are_length_sorted_padded_to_their_longest_row_and_keep_every_chunk() =>
        Prop.ForAll(Gen.Choose(1, 30).ArrayOf().ToArbitrary(), Gen.Choose(1, 7).ToArbitrary(), (lengths, size) =>
        {
            var chunks = lengths.Select((n, i) => new Chunk(i, Enumerable.Repeat(9, n).ToArray())).ToList();
            var batches = Chunking.Batches(chunks, size, 0).ToList();
            var rows = batches.SelectMany(b => Enumerable.Range(0, b.Documents.Length).Select(r =>
                (b.Documents[r], Len: Enumerable.Range(0, b.AttentionMask.GetLength(1)).Count(t => b.AttentionMask[r, t] == 1), Width: b.InputIds.GetLength(1)))).ToList();
            return rows.Select(r => r.Item1).Order().SequenceEqual(Enumerable.Range(0, lengths.Length))
                && rows.All(r => r.Len == lengths[r.Item1])
                && batches.All(b => b.InputIds.GetLength(1) == Enumerable.Range(0, b.Documents.Length).Max(r => lengths[b.Documents[r]]))
                && rows.Select(r => r.Len).SequenceEqual(rows.Select(r => r.Len).OrderDescending());
        });

    [Fact]
    public void A_long_document_scores_the_maximum_over_its_chunks()
    {
        var classifier = trained.Classifier;
        var safe = string.Join(' ', Enumerable.Repeat("the river garden people walk today", 10));
        var unsafeTail = safe + " bomb bomb bomb";
        var scores = classifier.Predict([safe, unsafeTail, ""]);
        Assert.True(scores[1].Chunks > 1);
        var lastChunkOnly = classifier.Score(["the river garden people bomb bomb bomb"])[0];
        Assert.Equal(Math.Max(scores[0].Score, lastChunkOnly), scores[1].Score);
        Assert.Equal(1, scores[2].Chunks);
    }
}
