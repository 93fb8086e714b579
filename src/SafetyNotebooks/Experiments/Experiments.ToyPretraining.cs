using Microsoft.Data.Analysis;
using Plotly.NET;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Reporting;
using SafetyNotebooks.Tagging;
using SafetyNotebooks.Tokenization;
using SafetyNotebooks.Training;

namespace SafetyNotebooks;

public static partial class Experiments
{
    /// <summary>Options of the toy single-device pretraining (notebook 05): sizes small enough for a CPU in seconds.</summary>
    /// <param name="TagRate">p of Algorithm 1 for documents scored ≥ <paramref name="TagMinScore"/>.</param>
    public sealed record ToyPretrainingOptions(
        int Documents = 200,
        int Steps = 30,
        int BatchSize = 4,
        int SequenceLength = 64,
        int Hidden = 32,
        int Layers = 2,
        double LearningRate = 3e-3,
        double TagRate = TagOptions.DefaultRate,
        int TagMinScore = TagOptions.DefaultMinScore,
        long Seed = 0,
        string? Device = null);

    /// <summary>One of the two runs: its data and its loss per step.</summary>
    public sealed record ToyPretrainingRun(string Name, int Tokens, int TagsInserted, int TaggedDocuments, IReadOnlyList<TrainLogEntry> Log);

    public sealed record ToyPretrainingResult(ToyPretrainingRun Standard, ToyPretrainingRun Tagged, LlamaConfig Model, TrainConfig Training, GenericChart LossChart, DataFrame Summary);

    /// <summary>
    /// Pretrains the same tiny Llama (same initialisation, same data order) twice on the toy world with the byte-level
    /// tokenizer: once on the raw text, once with documents scored ≥ 1 annotated with the harmfulness tag (Algorithm 1,
    /// one token, id <see cref="ByteLevelTokenizer.TagId"/>). The loss curves show what tagging costs the language model.
    /// </summary>
    public static ToyPretrainingResult ToyPretraining(ToyPretrainingOptions? options = null)
    {
        var o = options ?? new ToyPretrainingOptions();
        if (o.Documents < 1) throw new BadInputException("must be at least 1", "toy pretraining", "documents", o.Documents.ToString());
        var corpus = ToyWorld.Corpus(o.Documents, new ToyOptions(o.Seed)).ToList();
        var plan = TagPlan.From(new TagOptions(o.TagRate, (ulong)o.Seed, o.TagMinScore, ByteLevelTokenizer.HarmfulnessTag));
        var tagged = corpus.Select(d => HarmfulnessTagger.TagDocument(d.Text, d.Id, d.SafetyScore ?? 0, plan)).ToList();

        var model = new LlamaConfig(ByteLevelTokenizer.VocabSize, o.Hidden, 4 * o.Hidden, o.Layers, 4, 2, o.Hidden / 4,
            MaxPositionEmbeddings: o.SequenceLength, EosTokenId: ByteLevelTokenizer.EosId);
        var training = new TrainConfig(o.Steps, o.BatchSize, o.SequenceLength, LearningRate: o.LearningRate, MinLearningRate: o.LearningRate / 10,
            WarmupSteps: Math.Min(5, o.Steps), Schedule: LrSchedule.Cosine, Seed: o.Seed);
        var tokenizer = ByteLevelTokenizer.Create();

        ToyPretrainingRun Run(string name, IReadOnlyList<string> texts, int tags)
        {
            var data = TokenSources.FromTexts(texts, tokenizer, o.SequenceLength, ByteLevelTokenizer.EosId);
            using var network = LlamaModel.Create(model, o.Seed, Torch.Device(o.Device));
            var result = Trainer.Train(network, training, data);
            return new ToyPretrainingRun(name, data.Tokens.Length, tags, tagged.Count(t => t.TagCount > 0), result.Log);
        }
        var standard = Run("standard", corpus.Select(d => d.Text).ToList(), 0) with { TaggedDocuments = 0 };
        var withTags = Run("tag-annotated", tagged.Select(t => t.Text).ToList(), tagged.Sum(t => t.TagCount));

        var chart = LossChart.Of(new[] { standard, withTags }.Select(r => Curve.Of(r.Name, r.Log)),
            $"Training loss per step (toy world, {model.ParameterCount:N0}-parameter Llama, {o.Documents} documents)");
        double Tail(ToyPretrainingRun r) => Math.Round(r.Log.TakeLast(Math.Min(5, r.Log.Count)).Average(e => e.Loss), 4);
        var runs = new[] { standard, withTags };
        var summary = new DataFrame(
            new StringDataFrameColumn("data", runs.Select(r => r.Name)),
            new PrimitiveDataFrameColumn<int>("tokens", runs.Select(r => r.Tokens)),
            new PrimitiveDataFrameColumn<int>("tagged documents", runs.Select(r => r.TaggedDocuments)),
            new PrimitiveDataFrameColumn<int>("tags", runs.Select(r => r.TagsInserted)),
            new PrimitiveDataFrameColumn<double>("first loss", runs.Select(r => Math.Round(r.Log[0].Loss, 4))),
            new PrimitiveDataFrameColumn<double>("final loss (mean of last 5 steps)", runs.Select(Tail)));
        return new ToyPretrainingResult(standard, withTags, model, training, chart, summary);
    }
}
