using SafetyNotebooks.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Scoring;

/// <summary>A document's classifier score: the maximum over its chunks, and the class probabilities of that chunk.</summary>
public sealed record ClassifierScore(int Score, float[] Probabilities, int Chunks);

/// <summary>
/// A 0–5 safety classifier: the gte-en-v1.5 encoder with its 6-class head and its WordPiece tokenizer.
/// <list type="bullet">
/// <item><c>SafetyClassifier.Load(dir)</c> reads a Hugging Face folder (config.json, model.safetensors, tokenizer.json),
/// e.g. locuslab/safety-classifier_gte-large-en-v1.5, or one written by <see cref="Save"/>.</item>
/// <item><c>SafetyClassifier.Train(train, eval, options)</c> (see <see cref="ClassifierTraining"/>) trains one.</item>
/// <item><see cref="Score"/> gives 0–5 per text (max over chunks); a judge calls a text harmful when score ≥ threshold.</item>
/// </list>
/// </summary>
public sealed class SafetyClassifier : IDisposable
{
    public GteForSequenceClassification Model { get; }
    public WordPieceTokenizer Tokenizer { get; }
    public Device Device { get; }

    /// <summary>Tokens per chunk, [CLS] and [SEP] included.</summary>
    public int MaxLength { get; }

    public SafetyClassifier(GteForSequenceClassification model, WordPieceTokenizer tokenizer, int? maxLength = null, Device? device = null)
    {
        Model = model;
        Tokenizer = tokenizer;
        Device = device ?? CPU;
        MaxLength = maxLength ?? model.Config.MaxPositionEmbeddings;
        if (tokenizer.ClsId < 0 || tokenizer.SepId < 0) throw new ArgumentException("the tokenizer needs [CLS] and [SEP] tokens");
    }

    /// <summary>Loads a classifier folder; <paramref name="maxLength"/> defaults to the config's max_position_embeddings.</summary>
    public static SafetyClassifier Load(string directory, string? device = null, int? maxLength = null)
    {
        var dev = Torch.Device(device);
        var model = GteForSequenceClassification.Load(directory, dev);
        var tokenizer = WordPieceTokenizer.Load(Path.Combine(directory, "tokenizer.json"));
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new BadInputException($"the tokenizer has {tokenizer.VocabSize} tokens but the model only {model.Config.VocabSize}", directory, "vocab_size");
        return new SafetyClassifier(model, tokenizer, maxLength, dev);
    }

    /// <summary>Trains a classifier with <paramref name="options"/> (PAPER.md §1.1 recipe); see <see cref="ClassifierTraining.Train"/>.</summary>
    public static (SafetyClassifier Classifier, TrainingReport Report) Train(
        IReadOnlyList<LabeledText> train, IReadOnlyList<LabeledText> eval, TrainingOptions options, IProgress<EpochReport>? progress = null) =>
        ClassifierTraining.Train(train, eval, options, progress);

    /// <summary>Writes config.json, model.safetensors and tokenizer.json.</summary>
    public void Save(string directory)
    {
        Model.Save(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, "tokenizer.json"), Tokenizer.ToJson());
    }

    /// <summary>0–5 safety scores of <paramref name="texts"/> (in order).</summary>
    public int[] Score(IEnumerable<string> texts, int batchSize = 32) => Predict(texts, batchSize).Select(s => s.Score).ToArray();

    /// <summary>Scores with probabilities: every text is chunked, chunks are batched by length, the max score over chunks wins.</summary>
    public IReadOnlyList<ClassifierScore> Predict(IEnumerable<string> texts, int batchSize = 32)
    {
        var chunks = texts.SelectMany((text, doc) => Chunking.Split(Tokenizer.Encode(text), MaxLength, Tokenizer.ClsId, Tokenizer.SepId)
            .Select(ids => new Chunk(doc, ids))).ToList();
        var documents = chunks.Count == 0 ? 0 : chunks[^1].Document + 1;
        var best = new ClassifierScore?[documents];
        foreach (var batch in Chunking.Batches(chunks, batchSize, Tokenizer.PadId))
        {
            var probabilities = Probabilities(batch.InputIds, batch.AttentionMask);
            for (var r = 0; r < batch.Documents.Length; r++)
            {
                var p = probabilities[r];
                var score = Array.IndexOf(p, p.Max());
                var d = batch.Documents[r];
                var previous = best[d];
                best[d] = previous is null || score > previous.Score
                    ? new ClassifierScore(score, p, (previous?.Chunks ?? 0) + 1)
                    : previous with { Chunks = previous.Chunks + 1 };
            }
        }
        return best.Select(b => b!).ToArray();
    }

    /// <summary>Raw logits of a padded batch (rows of ids, mask and optional token types), as <c>safetynb classify</c> prints them.</summary>
    public float[][] Logits(long[,] inputIds, long[,] attentionMask, long[,]? tokenTypeIds = null) =>
        Run(Model, Device, inputIds, attentionMask, tokenTypeIds, softmax: false);

    /// <summary>Raw logits of a padded batch for a model without a tokenizer (the model's parameters set the device).</summary>
    public static float[][] BatchLogits(GteForSequenceClassification model, long[,] inputIds, long[,] attentionMask, long[,]? tokenTypeIds = null) =>
        Run(model, model.parameters().First().device, inputIds, attentionMask, tokenTypeIds, softmax: false);

    float[][] Probabilities(long[,] inputIds, long[,] attentionMask) => Run(Model, Device, inputIds, attentionMask, null, softmax: true);

    static float[][] Run(GteForSequenceClassification model, Device device, long[,] inputIds, long[,] attentionMask, long[,]? tokenTypeIds, bool softmax)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        var ids = tensor(inputIds, device: device);
        var mask = tensor(attentionMask, device: device);
        var types = tokenTypeIds is null ? null : tensor(tokenTypeIds, device: device);
        var logits = model.Forward(ids, mask, types).Logits.to(ScalarType.Float32);
        if (softmax) logits = logits.softmax(-1);
        var flat = logits.cpu().data<float>().ToArray();
        var classes = (int)logits.shape[1];
        return Enumerable.Range(0, (int)logits.shape[0]).Select(r => flat.AsSpan(r * classes, classes).ToArray()).ToArray();
    }

    public void Dispose() => Model.Dispose();
}
