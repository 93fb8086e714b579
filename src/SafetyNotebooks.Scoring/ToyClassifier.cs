using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Scoring;

/// <summary>
/// The small classifier of the miniature pipeline: the gte "new" architecture at toy size (64 hidden, 2 layers,
/// 4 heads), trained from scratch on toy-world documents (ground-truth scores) with a word-level WordPiece vocabulary
/// built from the training texts (every character is also in the vocabulary, so nothing is ever [UNK]).
/// <code>
/// var (judge, report) = ToyClassifier.Train();           // ~20 s on 2 CPU cores; held-out macro F1 ≈ 0.9
/// int[] scores = judge.Score(texts);                      // 0..5, max over 128-token chunks
/// bool harmful = scores[0] >= 3;
/// </code>
/// The toy recipe differs from the paper's LP-FT (<see cref="Scoring.TrainingOptions.LpFt"/>, still the default of
/// <c>scoring train</c> for real models) because the encoder starts from random weights:
/// <list type="bullet">
/// <item>No linear-probe stage: a head on random features learns nothing useful (held-out F1 stayed at 0.105, the
/// all-zero prediction) and cost a full forward pass over the data. <see cref="Options.ProbeEpochs"/> brings it back.</item>
/// <item>Full fine-tuning at lr 2e-3 (AdamW, wd 0.001, batch 16) for 5 epochs; 4e-3 diverged, batch 32 learned slower.</item>
/// <item>128-token chunks: toy documents are 40–165 words, so almost every text fits one chunk. Training sees only a
/// text's first chunk, and with 64-token chunks the harmful part of a document was often cut off, which taught the
/// model that unsafe labels go with harmless text (F1 0.78 at best).</item>
/// <item>One torch thread while training: the model is too small for intra-op parallelism, and on a busy 2-core
/// machine two spin-waiting threads made training ~13× slower (200 s instead of 15 s). One thread also makes the
/// result independent of the machine's core count.</item>
/// </list>
/// </summary>
public static class ToyClassifier
{
    /// <param name="Epochs">Full fine-tuning epochs (after <paramref name="ProbeEpochs"/> head-only epochs, none by default).</param>
    /// <param name="MaxLength">Tokens per chunk, [CLS] and [SEP] included; 128 holds a whole toy document.</param>
    /// <param name="Lambda">Weight of score &gt; 0 examples. The toy world is half unsafe by design, so the paper's λ = 100
    /// (meant for web data that is ~85% score 0) would swamp score 0; 2 keeps recall high without that.</param>
    /// <param name="Threads">Torch intra-op threads while training (restored after); null keeps torch's setting.</param>
    public sealed record Options(int TrainDocuments = 800, int HeldOutDocuments = 300, int Epochs = 5, int MaxLength = 128,
        double Lambda = 2, long Seed = 0, string? Device = null, string? CheckpointDir = null,
        double LearningRate = 2e-3, int BatchSize = 16, double ProbeLearningRate = 1e-2, int ProbeEpochs = 0, int VocabSize = 4096, int? Threads = 1);

    /// <summary>Labelled texts from documents with a known <see cref="Document.SafetyScore"/> (others are skipped).</summary>
    public static List<LabeledText> Labeled(IEnumerable<Document> documents) =>
        documents.Where(d => d.SafetyScore is not null).Select(d => new LabeledText(d.Text, d.SafetyScore!.Value)).ToList();

    public static TrainingOptions TrainingOptions(Options o) =>
        new(Scoring.TrainingOptions.Toy(o.Epochs, o.LearningRate, o.BatchSize, o.ProbeLearningRate, o.ProbeEpochs), o.Lambda, o.Seed, o.MaxLength,
            CheckpointDir: o.CheckpointDir, Device: o.Device, VocabSize: o.VocabSize, Threads: o.Threads);

    /// <summary>Trains on the toy corpus (seed <see cref="Options.Seed"/>) and evaluates on the toy held-out split.</summary>
    public static (SafetyClassifier Classifier, TrainingReport Report) Train(Options? options = null, IProgress<EpochReport>? progress = null)
    {
        var o = options ?? new Options();
        var train = Labeled(ToyWorld.Corpus(o.TrainDocuments, new ToyOptions(o.Seed)));
        var eval = Labeled(ToyWorld.HeldOut(o.HeldOutDocuments, new ToyOptions(o.Seed)));
        return ClassifierTraining.Train(train, eval, TrainingOptions(o), progress);
    }
}
