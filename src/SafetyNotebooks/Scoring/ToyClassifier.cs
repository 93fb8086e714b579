using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Scoring;

/// <summary>
/// The small classifier of the miniature pipeline: the gte "new" architecture at toy size (64 hidden, 2 layers,
/// 4 heads), trained from scratch on toy-world documents (ground-truth scores) with a word-level WordPiece vocabulary
/// built from the training texts (every character is also in the vocabulary, so nothing is ever [UNK]).
/// <code>
/// var (judge, report) = ToyClassifier.Train();           // ~10–30 s on 2 CPU cores
/// int[] scores = judge.Score(texts);                      // 0..5, max over 64-token chunks
/// bool harmful = scores[0] >= 3;
/// </code>
/// </summary>
public static class ToyClassifier
{
    /// <param name="Lambda">Weight of score &gt; 0 examples. The toy world is half unsafe by design, so the paper's λ = 100
    /// (meant for web data that is ~85% score 0) would swamp score 0; 2 keeps recall high without that.</param>
    public sealed record Options(int TrainDocuments = 800, int HeldOutDocuments = 300, int Epochs = 4, int MaxLength = 64,
        double Lambda = 2, long Seed = 0, string? Device = null, string? CheckpointDir = null);

    /// <summary>Labelled texts from documents with a known <see cref="Document.SafetyScore"/> (others are skipped).</summary>
    public static List<LabeledText> Labeled(IEnumerable<Document> documents) =>
        documents.Where(d => d.SafetyScore is not null).Select(d => new LabeledText(d.Text, d.SafetyScore!.Value)).ToList();

    public static TrainingOptions TrainingOptions(Options o) =>
        new(Scoring.TrainingOptions.Toy(o.Epochs), o.Lambda, o.Seed, o.MaxLength, CheckpointDir: o.CheckpointDir, Device: o.Device, VocabSize: 4096);

    /// <summary>Trains on the toy corpus (seed <see cref="Options.Seed"/>) and evaluates on the toy held-out split.</summary>
    public static (SafetyClassifier Classifier, TrainingReport Report) Train(Options? options = null, IProgress<EpochReport>? progress = null)
    {
        var o = options ?? new Options();
        var train = Labeled(ToyWorld.Corpus(o.TrainDocuments, new ToyOptions(o.Seed)));
        var eval = Labeled(ToyWorld.HeldOut(o.HeldOutDocuments, new ToyOptions(o.Seed)));
        return ClassifierTraining.Train(train, eval, TrainingOptions(o), progress);
    }
}
