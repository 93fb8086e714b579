using Microsoft.Data.Analysis;
using Microsoft.Extensions.AI;
using Plotly.NET;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Reporting;
using SafetyNotebooks.Synthesis;

namespace SafetyNotebooks;

public static partial class Experiments
{
    /// <summary>Options of the synthetic-data experiment (notebook 03).</summary>
    /// <param name="Documents">Toy documents to draw (all scores; 1–3 are rephrased, 4–5 refused and then taught).</param>
    /// <param name="Misbehaviour">Seeded faults of the toy client, to show the quality checks and retries at work.</param>
    public sealed record SyntheticDataOptions(
        int Documents = 120,
        long Seed = 0,
        string? OutputDir = null,
        int Concurrency = 4,
        ToyMisbehaviour? Misbehaviour = null);

    /// <summary>One source and what the pipeline made of it.</summary>
    public sealed record SyntheticExample(string Id, int Score, string Config, string? Style, string Source, string Output, string? RejectReason);

    public sealed record SyntheticDataResult(
        string OutputDir,
        SynthesisResult Rephrased,
        SynthesisResult Refusals,
        SynthesisResult Morals,
        IReadOnlyDictionary<string, string> Shards,
        IReadOnlyList<SyntheticExample> Examples,
        IReadOnlyList<SyntheticExample> Rejects,
        IReadOnlyDictionary<string, int> StyleCounts,
        GenericChart CountsChart,
        DataFrame Counts)
    {
        /// <summary>The examples as a table (source and output side by side).</summary>
        public DataFrame ExampleTable => Frame(Examples);

        /// <summary>The rejects with their reasons.</summary>
        public DataFrame RejectTable => Frame(Rejects);

        static DataFrame Frame(IReadOnlyList<SyntheticExample> rows) => new(
            new StringDataFrameColumn("id", rows.Select(r => r.Id)),
            new StringDataFrameColumn("config", rows.Select(r => r.Config)),
            new StringDataFrameColumn("style", rows.Select(r => r.Style ?? "")),
            new StringDataFrameColumn("source", rows.Select(r => r.Source)),
            new StringDataFrameColumn("output", rows.Select(r => r.Output)),
            new StringDataFrameColumn("reject_reason", rows.Select(r => r.RejectReason ?? "")));
    }

    /// <summary>
    /// The paper's three synthetic corpora in miniature (PAPER.md §1.2–1.4): toy documents of score 1–3 are rephrased in a
    /// seeded style (SafeWeb), score 4–5 become refusal dialogues (RefuseWeb), and accepted dialogues become moral-education
    /// articles — through <paramref name="client"/> (default: the scripted toy-world client, offline and deterministic).
    /// Outputs are written in the released layout under <see cref="SyntheticDataOptions.OutputDir"/>.
    /// </summary>
    public static async Task<SyntheticDataResult> SyntheticDataAsync(SyntheticDataOptions? options = null, IChatClient? client = null, string? model = null, CancellationToken ct = default)
    {
        var o = options ?? new SyntheticDataOptions();
        if (o.Documents < 1) throw new BadInputException("must be at least 1", "--docs", value: o.Documents.ToString());
        var outDir = o.OutputDir ?? Path.Combine(Path.GetTempPath(), $"safetynb-synth-{Guid.NewGuid():N}");
        var corpus = ToyWorld.Corpus(o.Documents, new ToyOptions(o.Seed)).ToList();
        var chat = client ?? new ToyWorldChatClient(corpus, misbehaviour: o.Misbehaviour);
        var name = model ?? ToyWorldChatClient.ModelName;
        var byId = corpus.ToDictionary(d => d.Id);

        SynthesisJob Job(SynthesisTask task, string dir) => new(task, name, Path.Combine(outDir, dir), o.Concurrency, o.Seed,
            Retry: new RetryPolicy(BaseDelay: TimeSpan.FromMilliseconds(5), Timeout: TimeSpan.FromSeconds(30)));

        var mild = corpus.Where(d => d.SafetyScore is >= 1 and <= 3).Select(d => new SynthesisItem(d.Id, d.Text, d.SafetyScore!.Value));
        var unsafeDocs = corpus.Where(d => d.SafetyScore >= 4).Select(d => new SynthesisItem(d.Id, d.Text, d.SafetyScore!.Value));
        var rephrased = await SynthesisPipeline.RunAsync(chat, Job(SynthesisTask.Rephrase, "work/rephrase"), mild, ct: ct);
        var refusals = await SynthesisPipeline.RunAsync(chat, Job(SynthesisTask.Refuse, "work/refuse"), unsafeDocs, ct: ct);
        var dialogues = refusals.Accepted.Select(r => new SynthesisItem(r.Id, r.Text, r.Score));
        var morals = await SynthesisPipeline.RunAsync(chat, Job(SynthesisTask.Moral, "work/moral"), dialogues, ct: ct);

        var all = rephrased.Outcomes.Concat(refusals.Outcomes).Concat(morals.Outcomes).ToList();
        var files = await SynthesisOutputs.WriteAsync(outDir, all, byId, ct);
        var refusalText = refusals.Outcomes.ToDictionary(r => r.Id, r => r.Text);
        SyntheticExample Example(SynthesisOutcome x) => new(x.Id, x.Score, x.Config, x.Style?.ToString(),
            x.Config.EndsWith("_morals", StringComparison.Ordinal) ? refusalText[x.Id] : byId[x.Id].Text, x.Text, x.RejectReason);
        var examples = new[] { rephrased, refusals, morals }.SelectMany(r => r.Accepted.Take(1)).Select(Example).ToList();
        var rejects = all.Where(x => !x.Accepted).Select(Example).ToList();
        var styles = rephrased.Outcomes.GroupBy(x => x.Style!.Value.ToString()).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());

        var configs = all.Select(x => x.Config).Distinct().Order(StringComparer.Ordinal).ToArray();
        var accepted = configs.Select(c => all.Count(x => x.Config == c && x.Accepted)).ToArray();
        var rejected = configs.Select(c => all.Count(x => x.Config == c && !x.Accepted)).ToArray();
        var chart = Plotly.NET.CSharp.Chart.Combine(new[]
        {
            Plotly.NET.CSharp.Chart.Column<int, string, string>(accepted, configs, Name: "accepted"),
            Plotly.NET.CSharp.Chart.Column<int, string, string>(rejected, configs, Name: "rejected"),
        }).Titled("Synthetic rows per released config");
        var table = new DataFrame(new StringDataFrameColumn("config", configs),
            new PrimitiveDataFrameColumn<int>("accepted", accepted), new PrimitiveDataFrameColumn<int>("rejected", rejected));
        return new SyntheticDataResult(outDir, rephrased, refusals, morals, files.Shards, examples, rejects, styles, chart, table);
    }

    /// <summary>Synchronous <see cref="SyntheticDataAsync"/> for notebook cells.</summary>
    public static SyntheticDataResult SyntheticData(SyntheticDataOptions? options = null) =>
        Task.Run(() => SyntheticDataAsync(options)).GetAwaiter().GetResult();
}
