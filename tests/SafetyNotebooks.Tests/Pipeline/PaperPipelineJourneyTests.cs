using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.LitData;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Mixing;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Pipeline;

/// <summary>
/// pipelines/paper.yaml run end to end (not only checked) on a miniature stand-in: a Hugging Face cache laid out as
/// the released datasets and models are, holding toy documents, the toy classifier in the classifier's snapshot, the
/// offline toy endpoint for synthesis, a small trained tokenizer in SmolLM2's snapshot, and a tiny token budget.
/// </summary>
public class PaperPipelineJourneyTests
{
    static string Paper => Path.Combine(TestDirs.RepoRoot(), "pipelines", "paper.yaml");
    const string Commit = "0123456789abcdef0123456789abcdef01234567";
    const int Docs = 240;
    // the plan needs one optimizer step (1024 × 2048 tokens) in its first phase, 20 % of the budget
    const long Budget = 11_000_000;

    static string Snapshot(string hub, string kind, string repo) => Path.Combine(hub, $"{kind}--{repo.Replace("/", "--")}", "snapshots", Commit);

    /// <summary>Writes toy documents in the released schema (id, text, metadata; the score only in the config name).</summary>
    static async Task WriteReleased(string snapshot, string config, IEnumerable<Document> docs) =>
        await Documents.WriteAsync(Path.Combine(snapshot, config, "train", "0000.parquet"), docs.ToList(),
            new DocumentWriteOptions(RowGroupSize: 16, IncludeToolkitColumns: false));

    static JsonElement Stage(JsonElement run, string name) =>
        run.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == name);

    static long Count(JsonElement run, string stage, string field) => Stage(run, stage).GetProperty("summary").GetProperty(field).GetInt64();

    static async Task Cli(params string[] args)
    {
        var o = await CliRunner.RunAsync(args);
        Assert.True(o.Code == 0, $"safetynb {string.Join(' ', args)}: {o.Err}{o.Out}");
    }

    [Fact]
    public async Task The_paper_pipeline_runs_every_stage_on_a_stand_in_of_the_released_cache()
    {
        var root = TestDirs.Fresh();
        var hub = Path.Combine(root, "hub");
        var corpus = ToyWorld.Corpus(Docs, new ToyOptions(7)).ToList();
        var byScore = Enumerable.Range(0, 6).Select(s => corpus.Where(d => d.SafetyScore == s).ToList()).ToList();
        Assert.All(byScore, g => Assert.NotEmpty(g));

        // the unscored base corpus, and the released datasets in their cache layout (configs as the manifests name them)
        var raw = Path.Combine(root, "smollm-corpus");
        await Documents.WriteAsync(Path.Combine(raw, "train", "00000.parquet"), corpus, new DocumentWriteOptions(RowGroupSize: 32, IncludeToolkitColumns: false));
        var annotated = Snapshot(hub, "datasets", "locuslab/fineweb_annotated");
        for (var s = 0; s < 6; s++) await WriteReleased(annotated, $"score_{s}", byScore[s]);
        var safeweb = Snapshot(hub, "datasets", "locuslab/safeweb");
        foreach (var s in new[] { 1, 3, 4, 5 }) await WriteReleased(safeweb, $"score_{s}_rephrased", byScore[s]);
        var refuseweb = Snapshot(hub, "datasets", "locuslab/refuseweb");
        var moral = Snapshot(hub, "datasets", "locuslab/moral_education");
        foreach (var s in new[] { 4, 5 })
        {
            await WriteReleased(refuseweb, $"score_{s}_refusal", byScore[s]);
            await WriteReleased(moral, $"score_{s}_morals", byScore[s]);
        }
        // the models: the toy classifier in the released classifier's slot, a small BPE (with the tag) in SmolLM2's
        var classifier = Snapshot(hub, "models", "locuslab/safety-classifier_gte-large-en-v1.5");
        await Cli("scoring", "toy-classifier", "--output", classifier); // smaller runs score everything 0
        var tokenizer = Snapshot(hub, "models", "HuggingFaceTB/SmolLM2-1.7B");
        await Cli("tokenizer", "train", "--input", raw, "--output", tokenizer, "--merges", "60");

        var work = Path.Combine(root, "work");
        string[] vars =
        [
            "--var", $"hf_hub={hub}", "--var", $"raw_dir={raw}", "--var", $"fineweb_annotated_dir={annotated}", "--var", $"safeweb_dir={safeweb}",
            "--var", $"refuseweb_dir={refuseweb}", "--var", $"moral_dir={moral}", "--var", $"classifier_dir={classifier}", "--var", $"tokenizer_dir={tokenizer}",
            "--var", "llm_endpoint=toy", "--var", "llm_model=toy-world", "--var", "row_groups=2",
            "--var", $"budget_tokens={Budget}",
        ];
        var r = await CliRunner.RunAsync(["pipeline", "run", "--config", Paper, "--workdir", work, "--json", .. vars]);
        Assert.True(r.Code == 0, r.Err + r.Out);
        var run = JsonDocument.Parse(r.Out).RootElement;
        Assert.All(run.GetProperty("stages").EnumerateArray(), s => Assert.Equal("ran", s.GetProperty("status").GetString()));

        // score → synth: every base document scored; the toy endpoint's counterparts accepted
        Assert.Equal(Docs, Count(run, "score", "documents"));
        foreach (var synth in new[] { "rephrase", "refuse", "moral" }) Assert.True(Count(run, synth, "accepted") > 0, synth);

        // mix: the raw phase fills 20 % of the budget from fineweb_annotated, the safety phase takes each released source
        var manifest = MixJob.ReadManifest(Path.Combine(work, "mix", MixJob.ManifestFile));
        Assert.Equal(["raw", "safety"], manifest.Phases.Select(p => p.Name));
        Assert.Equal(Count(run, "mix", "rows"), manifest.Phases.Sum(p => p.Rows));
        var rawPhase = manifest.Phases[0];
        Assert.InRange(rawPhase.Sources.Single().Tokens, (long)(0.2 * Budget), (long)(0.2 * Budget) + 2_000);
        var safety = manifest.Phases[1];
        Assert.Equal(safety.Rows, safety.Sources.Sum(s => s.Rows));
        long Rows(string source) => safety.Sources.Single(s => s.Name == source).Rows;
        Assert.Equal(byScore[0].Count, Rows("score0"));
        Assert.Equal(byScore[1].Count + byScore[3].Count + byScore[4].Count + byScore[5].Count, Rows("safeweb"));
        Assert.Equal(6 * (byScore[4].Count + byScore[5].Count), Rows("refuseweb")); // upsampled x6
        Assert.Equal(byScore[4].Count + byScore[5].Count, Rows("moral"));
        for (var s = 1; s < 6; s++) Assert.Equal(byScore[s].Count, Rows($"unsafe{s}"));

        // tag: the safety phase's rows, only unsafe ones tagged; export: every row, tokens as in the LitData index
        Assert.Equal(safety.Rows, Count(run, "tag", "documents"));
        Assert.InRange(Count(run, "tag", "tagged_documents"), 1, byScore.Skip(1).Sum(g => g.Count));
        Assert.Equal(rawPhase.Rows, Count(run, "export-raw", "documents"));
        Assert.Equal(safety.Rows, Count(run, "export-safety", "documents"));
        foreach (var phase in new[] { "raw", "safety" })
            Assert.Equal(Count(run, $"export-{phase}", "tokens"), LitDataReader.Open(Path.Combine(work, "litdata", phase, "train")).TotalTokens);

        // plan: one LitGPT stage per phase, each with its files; the safety stage starts from the raw stage's final checkpoint
        var plan = Path.Combine(work, "plan");
        Assert.Equal(["stage-1-raw", "stage-2-safety"], Directory.GetDirectories(plan).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var stage in new[] { "stage-1-raw", "stage-2-safety" })
            foreach (var f in new[] { "plan.json", "summary.md", "launch.sbatch", "pretrain.yaml" })
                Assert.True(File.Exists(Path.Combine(plan, stage, f)), $"{stage}/{f}");
        Assert.Contains($"initial_checkpoint_dir: {Path.Combine(plan, "stage-1-raw", "checkpoints", "final")}", File.ReadAllText(Path.Combine(plan, "stage-2-safety", "pretrain.yaml")));
    }
}
