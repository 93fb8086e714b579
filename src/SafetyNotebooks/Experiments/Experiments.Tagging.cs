using System.Text;
using Microsoft.Data.Analysis;
using Plotly.NET;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Reporting;
using SafetyNotebooks.Tagging;

namespace SafetyNotebooks;

public static partial class Experiments
{
    /// <summary>Options of notebook 04: the toy corpus size and seed, the tag rates to compare, and the tagger's settings.</summary>
    public sealed record HarmfulnessTagsOptions(
        int Documents = 2000,
        long CorpusSeed = 0,
        IReadOnlyList<double>? Rates = null,
        ulong Seed = TagOptions.DefaultSeed,
        int MinScore = TagOptions.DefaultMinScore,
        string Tag = TagOptions.DefaultTag,
        int Examples = 3)
    {
        /// <summary>The paper's ablation: 3 %, 5 % (its choice) and 10 % (PAPER.md §1.5).</summary>
        public IReadOnlyList<double> RatesOrDefault => Rates ?? [0.03, 0.05, 0.10];
    }

    /// <summary>How one requested rate p came out: tags over eligible words (every word after a tagged document's first).</summary>
    public sealed record RateRealisation(double Requested, long Tags, long EligibleWords, int TaggedDocuments)
    {
        public double Realised => TagRate.Realised(Tags, EligibleWords);
        /// <summary>Binomial standard error of <see cref="Realised"/>: each eligible word is an independent draw.</summary>
        public double StandardError => EligibleWords == 0 ? 0 : Math.Sqrt(Requested * (1 - Requested) / EligibleWords);
    }

    public sealed record HarmfulnessTagsResult(
        int Documents,
        int UnsafeDocuments,
        IReadOnlyList<RateRealisation> Rates,
        DataFrame Examples,
        DataFrame PerScore,
        GenericChart DistributionChart,
        GenericChart RateChart);

    /// <summary>
    /// Notebook 04: tags the toy corpus (documents with safety score ≥ MinScore) at each requested rate, shows tagged
    /// examples, the per-document tag rate by score at the first rate ≥ 5 % (the paper's choice), and realised versus
    /// requested rates.
    /// </summary>
    public static HarmfulnessTagsResult HarmfulnessTags(HarmfulnessTagsOptions? options = null)
    {
        var o = options ?? new HarmfulnessTagsOptions();
        if (o.Documents < 1) throw new BadInputException("must be at least 1", "documents", value: o.Documents.ToString());
        var docs = ToyWorld.Corpus(o.Documents, new ToyOptions(o.CorpusSeed)).ToList();
        var ids = docs.Select(d => (string?)d.Id).ToArray();
        var texts = docs.Select(d => (string?)d.Text).ToArray();
        var scores = docs.Select(d => (double?)d.SafetyScore).ToArray();
        var eligible = docs.Select(d => d.SafetyScore >= o.MinScore ? (int)TagRate.EligibleWords(d.Text) : 0).ToArray();

        var runs = o.RatesOrDefault.Select(p => (p, tagged: TagColumns.Tag(ids, texts, scores, TagPlan.From(new TagOptions(p, o.Seed, o.MinScore, o.Tag))))).ToList();
        var rates = runs.Select(r => new RateRealisation(r.p, r.tagged.TotalTags, eligible.Sum(e => (long)e), r.tagged.TagCounts.Count(c => c > 0))).ToList();
        var (focus, focusTagged) = runs.FirstOrDefault(r => r.p >= 0.05) is { tagged: not null } f ? f : runs[^1];

        var perDocRate = docs.Select((d, i) => TagRate.Realised(focusTagged.TagCounts[i]!.Value, eligible[i])).ToArray();
        var scoreValues = Enumerable.Range(0, 6).ToArray();
        var perScore = new DataFrame(
            new PrimitiveDataFrameColumn<int>("safety_score", scoreValues),
            new PrimitiveDataFrameColumn<int>("documents", scoreValues.Select(s => docs.Count(d => d.SafetyScore == s))),
            new PrimitiveDataFrameColumn<int>("tagged_documents", scoreValues.Select(s => docs.Where((d, i) => d.SafetyScore == s && focusTagged.TagCounts[i] > 0).Count())),
            new PrimitiveDataFrameColumn<double>("mean_tags_per_document", scoreValues.Select(s => Mean(docs.Select((d, i) => (d, i)).Where(x => x.d.SafetyScore == s).Select(x => (double)focusTagged.TagCounts[x.i]!.Value)))),
            new PrimitiveDataFrameColumn<double>($"realised_rate_at_{focus:0.00}", scoreValues.Select(s =>
            {
                var rows = Enumerable.Range(0, docs.Count).Where(i => docs[i].SafetyScore == s).ToList();
                return TagRate.Realised(rows.Sum(i => (long)focusTagged.TagCounts[i]!.Value), rows.Sum(i => (long)eligible[i]));
            })));

        var exampleRows = Enumerable.Range(0, docs.Count).Where(i => focusTagged.TagCounts[i] > 0).Take(o.Examples).ToList();
        var examples = new DataFrame(
            new StringDataFrameColumn("id", exampleRows.Select(i => docs[i].Id)),
            new PrimitiveDataFrameColumn<int>("safety_score", exampleRows.Select(i => docs[i].SafetyScore ?? 0)),
            new PrimitiveDataFrameColumn<int>("tag_count", exampleRows.Select(i => focusTagged.TagCounts[i] ?? 0)),
            new StringDataFrameColumn("tagged_text (around the first tag)", exampleRows.Select(i => Excerpt(focusTagged.Texts[i]!, o.Tag))));

        var unsafeScores = scoreValues.Where(s => s >= o.MinScore).ToList();
        var distribution = Plotly.NET.CSharp.Chart.Combine(unsafeScores.Select(s =>
            {
                var values = Enumerable.Range(0, docs.Count).Where(i => docs[i].SafetyScore == s && eligible[i] > 0).Select(i => perDocRate[i]).ToArray();
                return Plotly.NET.CSharp.Chart.BoxPlot<string, double, string>(
                    X: values.Select(_ => $"score {s}").ToArray(), Y: values, Name: $"score {s} ({values.Length} docs)");
            }))
            .Titled($"Per-document tag rate by safety score, p = {focus:0.00} (score < {o.MinScore}: never tagged)");

        var maxRate = o.RatesOrDefault.Max() * 1.15;
        var rateChart = Plotly.NET.CSharp.Chart.Combine(
            [
                Plotly.NET.CSharp.Chart.Line<double, double, string>(x: [0.0, maxRate], y: [0.0, maxRate], Name: "realised = requested"),
                Plotly.NET.CSharp.Chart.Point<double, double, string>(x: rates.Select(r => r.Requested).ToArray(), y: rates.Select(r => r.Realised).ToArray(),
                    Name: "realised (all unsafe documents)", MultiText: rates.Select(r => $"{r.Tags} tags / {r.EligibleWords} words").ToArray()),
                .. unsafeScores.Select(s => Plotly.NET.CSharp.Chart.Point<double, double, string>(
                    x: runs.Select(r => r.p).ToArray(),
                    y: runs.Select(r => RealisedFor(r.tagged, docs, eligible, s)).ToArray(),
                    Name: $"score {s}", Opacity: 0.5)),
            ])
            .Titled("Realised versus requested tag rate on the toy corpus");

        return new HarmfulnessTagsResult(docs.Count, docs.Count(d => d.SafetyScore >= o.MinScore), rates, examples, perScore, distribution, rateChart);
    }

    static double RealisedFor(TaggedColumns tagged, IReadOnlyList<Document> docs, int[] eligible, int score)
    {
        long tags = 0, words = 0;
        for (var i = 0; i < docs.Count; i++)
            if (docs[i].SafetyScore == score) { tags += tagged.TagCounts[i] ?? 0; words += eligible[i]; }
        return TagRate.Realised(tags, words);
    }

    static double Mean(IEnumerable<double> values) => values.DefaultIfEmpty(0).Average();

    // ~200 characters centred on the first tag, on one line
    static string Excerpt(string text, string tag)
    {
        var at = Math.Max(0, text.IndexOf(tag, StringComparison.Ordinal));
        var start = Math.Max(0, at - 80);
        var end = Math.Min(text.Length, at + tag.Length + 120);
        return (start > 0 ? "…" : "") + text[start..end].ReplaceLineEndings(" ⏎ ") + (end < text.Length ? "…" : "");
    }
}
