using System.Diagnostics;
using Microsoft.Data.Analysis;
using Plotly.NET;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Reporting;
using SafetyNotebooks.Scoring;

namespace SafetyNotebooks;

public static partial class Experiments
{
    public sealed record DataReportCardOptions(int Documents = 2000, long Seed = 0);

    /// <summary>The report card of a toy corpus: its score histogram and harmful-query frequencies per score slice.</summary>
    public sealed record DataReportCardResult(
        int Documents,
        long[] ScoreHistogram,
        IReadOnlyList<QueryFrequency> Frequencies,
        GenericChart HistogramChart,
        GenericChart FrequencyChart,
        DataFrame FrequencyTable);

    /// <summary>
    /// Notebook 01: the paper's Data Safety Report Card (PAPER.md §1.1) on the toy world — (i) the histogram of safety
    /// scores, (ii) per-category frequencies (per 1M tokens) of harmful queries in each score slice.
    /// </summary>
    public static DataReportCardResult DataReportCard(DataReportCardOptions? options = null)
    {
        var o = options ?? new DataReportCardOptions();
        if (o.Documents < 1) throw new BadInputException("must be at least 1", "documents", value: o.Documents.ToString());
        var docs = ToyWorld.Corpus(o.Documents, new ToyOptions(o.Seed)).ToList();
        var histogram = ReportCard.Histogram(docs.Select(d => d.SafetyScore ?? 0));
        var slices = Enumerable.Range(0, 6)
            .Select(s => ($"score {s}", (IReadOnlyList<string>)docs.Where(d => d.SafetyScore == s).Select(d => d.Text).ToList()))
            .Append(("all", docs.Select(d => d.Text).ToList()));
        var frequencies = ReportCard.Frequencies(slices, ReportCard.ToyCategories);

        var histogramChart = Plotly.NET.CSharp.Chart.Column<long, string, string>(histogram, Keys: Enumerable.Range(0, 6).Select(s => s.ToString()).ToArray(), Name: "documents")
            .Titled($"Safety scores of {o.Documents} toy documents (ground truth)");
        var frequencyChart = Plotly.NET.CSharp.Chart.Combine(ReportCard.ToyCategories.Select(c =>
        {
            var rows = frequencies.Where(f => f.Category == c.Name).ToList();
            return Plotly.NET.CSharp.Chart.Column<double, string, string>(rows.Select(r => r.PerMillionTokens).ToArray(), Keys: rows.Select(r => r.Slice).ToArray(), Name: c.Name);
        })).Titled("Harmful-query frequency per 1M tokens, by score slice");

        var table = new DataFrame(new DataFrameColumn[]
        {
            new StringDataFrameColumn("category", ReportCard.ToyCategories.Select(c => c.Name)),
        }.Concat(slices.Select(s => s.Item1).Select(slice => (DataFrameColumn)new DoubleDataFrameColumn(slice,
            ReportCard.ToyCategories.Select(c => Math.Round(frequencies.Single(f => f.Category == c.Name && f.Slice == slice).PerMillionTokens, 1))))));
        return new DataReportCardResult(o.Documents, histogram, frequencies, histogramChart, frequencyChart, table);
    }

    /// <param name="Lambda">Weight of score &gt; 0 examples (see <see cref="ToyClassifier.Options"/>).</param>
    public sealed record SafetyClassifierOptions(int TrainDocuments = 800, int HeldOutDocuments = 300, int Epochs = 4, int MaxLength = 128,
        double Lambda = 2, long Seed = 0, string? Device = null);

    /// <summary>What notebook 02 shows.</summary>
    public sealed record SafetyClassifierResult(
        TrainingReport Report,
        SafetyMetrics Metrics,
        double DocumentsPerSecond,
        GenericChart ConfusionChart,
        GenericChart TrainingChart,
        DataFrame Comparison,
        SafetyClassifier Classifier);

    /// <summary>
    /// Notebook 02: trains the toy classifier (full fine-tuning from scratch, λ-weighted loss; see <see cref="ToyClassifier"/>), evaluates it on the held-out toy split
    /// (macro F1, Recall@1, Recall@3, confusion matrix), measures CPU scoring throughput and sets the result next to the
    /// paper's Table 3, whose rows are recomputed from the published confusion matrices where the paper gives them.
    /// </summary>
    public static SafetyClassifierResult SafetyClassifier(SafetyClassifierOptions? options = null)
    {
        var o = options ?? new SafetyClassifierOptions();
        var toy = new ToyClassifier.Options(o.TrainDocuments, o.HeldOutDocuments, o.Epochs, o.MaxLength, o.Lambda, o.Seed, o.Device);
        var (classifier, report) = ToyClassifier.Train(toy);
        var heldOut = ToyWorld.HeldOut(o.HeldOutDocuments, new ToyOptions(o.Seed)).Select(d => d.Text).ToList();
        var docsPerSecond = ClassifierTraining.WithThreads(toy.Threads, () =>
        {
            var clock = Stopwatch.StartNew();
            classifier.Score(heldOut);
            return heldOut.Count / clock.Elapsed.TotalSeconds;
        });

        var labels = Enumerable.Range(0, 6).Select(i => i.ToString()).ToArray();
        var z = report.Confusion.ToRows().Select(r => r.Select(v => (double)v).ToArray()).ToArray();
        var confusion = Plotly.NET.CSharp.Chart.Heatmap<double, string, string, string>(z, X: labels, Y: labels)
            .Titled($"Held-out confusion matrix (rows = true score, columns = predicted), {heldOut.Count} toy documents");
        var epochs = report.Epochs.Select((e, i) => (double)(i + 1)).ToArray();
        var training = Plotly.NET.CSharp.Chart.Combine(
        [
            Plotly.NET.CSharp.Chart.Line<double, double, string>(x: epochs, y: report.Epochs.Select(e => e.TrainLoss).ToArray(), Name: "train loss (λ-weighted)", ShowMarkers: true),
            Plotly.NET.CSharp.Chart.Line<double, double, string>(x: epochs, y: report.Epochs.Select(e => e.Eval.F1Macro).ToArray(), Name: "held-out macro F1", ShowMarkers: true),
            Plotly.NET.CSharp.Chart.Line<double, double, string>(x: epochs, y: report.Epochs.Select(e => e.Eval.RecallAt1).ToArray(), Name: "held-out Recall@1", ShowMarkers: true),
        ]).Titled("Training (every epoch fine-tunes all weights; the toy recipe has no linear probe)");

        return new SafetyClassifierResult(report, report.Final, docsPerSecond, confusion, training, Table3Comparison(report.Final), classifier);
    }

    /// <summary>The paper's Table 3 with recomputed rows (from the published confusion matrices) and this run's toy row.</summary>
    public static DataFrame Table3Comparison(SafetyMetrics? toy = null)
    {
        var rows = PaperNumbers.Table3.Select(r => (r.Type, Model: r.Model + " (paper)", r.F1, (double?)r.RecallAt1, (double?)r.RecallAt3)).ToList();
        foreach (var (name, m) in new[] { ("gte-base-en-v1.5", PaperNumbers.GteBase), ("Qwen 2.5-7B", PaperNumbers.Qwen7B) })
        {
            var s = SafetyMetrics.Of(m);
            rows.Add(("Recomputed", name + " (from published confusion matrix)", s.F1Macro, s.RecallAt1, s.RecallAt3));
        }
        if (toy is not null) rows.Add(("Toy world", "gte-architecture toy encoder (this run, toy held-out set)", toy.F1Macro, toy.RecallAt1, toy.RecallAt3));
        static double? R(double? x) => x is { } v && !double.IsNaN(v) ? Math.Round(v, 4) : null;
        return new DataFrame(
            new StringDataFrameColumn("type", rows.Select(r => r.Type)),
            new StringDataFrameColumn("model", rows.Select(r => r.Model)),
            new PrimitiveDataFrameColumn<double>("F1", rows.Select(r => R(r.F1))),
            new PrimitiveDataFrameColumn<double>("Recall@1", rows.Select(r => R(r.Item4))),
            new PrimitiveDataFrameColumn<double>("Recall@3", rows.Select(r => R(r.Item5))));
    }
}
