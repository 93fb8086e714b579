using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.LitData;
using SafetyNotebooks.Mixing;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Pipeline;

public class PipelineJourneyTests
{
    static string Miniature => Path.Combine(TestDirs.RepoRoot(), "pipelines", "miniature.yaml");

    // the shipped pipeline, small: 300 toy documents, a tiny tokenizer, two optimizer steps per model
    static readonly string[] Small = ["--var", "docs=300", "--var", "steps=2", "--var", "warmup=0", "--var", "merges=60"];

    static JsonElement Stage(JsonElement run, string name) =>
        run.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == name);

    static long Count(JsonElement run, string stage, string field) => Stage(run, stage).GetProperty("summary").GetProperty(field).GetInt64();

    [Fact]
    public async Task The_miniature_pipeline_runs_stage_after_stage_on_files_resumes_and_matches_the_individual_commands()
    {
        var work = TestDirs.Fresh();
        var r = await CliRunner.RunAsync(["pipeline", "run", "--config", Miniature, "--workdir", work, "--json", .. Small]);
        Assert.True(r.Code == 0, r.Err + r.Out);
        var run = JsonDocument.Parse(r.Out).RootElement;
        Assert.All(run.GetProperty("stages").EnumerateArray(), s => Assert.Equal("ran", s.GetProperty("status").GetString()));

        // counts agree from stage to stage: corpus → score → mix manifest → tag → export → train
        Assert.Equal(400, Count(run, "score", "documents")); // 300 train + 100 held-out (test/) documents
        var manifest = MixJob.ReadManifest(Path.Combine(work, "mix", MixJob.ManifestFile));
        var phase = manifest.Phases.Single();
        Assert.Equal(Count(run, "mix", "rows"), phase.Rows);
        Assert.Equal(phase.Rows, phase.Sources.Sum(s => s.Rows));
        var scoredTrain = await Documents.ReadListAsync(Path.Combine(work, "scored", "train", "00000.parquet"));
        Assert.Equal(scoredTrain.Count(d => d.SafetyScore == 0), phase.Sources.Single(s => s.Name == "score0").Rows);
        Assert.Equal(scoredTrain.Count(d => d.SafetyScore >= 1), phase.Sources.Single(s => s.Name == "unsafe").Rows);
        var refuseweb = phase.Sources.Single(s => s.Name == "refuseweb");
        Assert.Equal(Count(run, "refuse", "accepted"), refuseweb.Documents);
        Assert.Equal(6 * refuseweb.Documents, refuseweb.Rows); // upsampled x6 (pipelines/miniature.yaml)
        Assert.Equal(Count(run, "rephrase", "accepted"), phase.Sources.Single(s => s.Name == "safeweb").Rows);
        Assert.Equal(phase.Rows, Count(run, "tag", "documents"));
        Assert.InRange(Count(run, "tag", "tagged_documents"), 1, scoredTrain.Count(d => d.SafetyScore >= 1)); // only the unsafe rows are tagged
        Assert.True(Count(run, "tag", "tags") > 0);
        Assert.Equal(phase.Rows, Count(run, "export-safety", "documents"));
        Assert.Equal(400, Count(run, "export-standard", "documents"));
        var safety = LitDataReader.Open(Path.Combine(work, "litdata", "safety", "train"));
        Assert.Equal(Count(run, "export-safety", "tokens"), safety.TotalTokens);
        // the LitData folders train
        foreach (var model in new[] { "train-standard", "train-safety" })
        {
            Assert.Equal(2, Count(run, model, "steps"));
            Assert.True(double.IsFinite(Stage(run, model).GetProperty("summary").GetProperty("final_loss").GetDouble()));
        }
        Assert.True(Directory.EnumerateFiles(Path.Combine(work, "models", "safety"), "*.safetensors", SearchOption.AllDirectories).Any());

        // a rerun finds every stage done
        var again = await CliRunner.RunAsync(["pipeline", "run", "--config", Miniature, "--workdir", work, "--json", .. Small]);
        Assert.Equal(0, again.Code);
        Assert.All(JsonDocument.Parse(again.Out).RootElement.GetProperty("stages").EnumerateArray(), s => Assert.Equal("done", s.GetProperty("status").GetString()));

        // the same stages as individual commands, as a user types them, give the same bytes
        var solo = TestDirs.Fresh();
        async Task Cli(params string[] args)
        {
            var o = await CliRunner.RunAsync(args);
            Assert.True(o.Code == 0, $"safetynb {string.Join(' ', args)}: {o.Err}");
        }
        await Cli("synth", "refuse", "--input", Path.Combine(work, "scored", "train"), "--output", Path.Combine(solo, "refusals"), "--endpoint", "toy", "--model", "toy-world", "--seed", "0");
        Folders.AssertSame(Path.Combine(work, "refusals"), Path.Combine(solo, "refusals"), ".parquet");
        await Cli("mix", "--config", Path.Combine(work, ".pipeline", "inline", "mix.config.yaml"), "--output", Path.Combine(solo, "mix"));
        Folders.AssertSame(Path.Combine(work, "mix"), Path.Combine(solo, "mix"));
        for (var i = 0; i < 3; i++)
            await Cli("tag", "--input", Path.Combine(solo, "mix"), "--output", Path.Combine(solo, "tagged"), "--seed", "42", "--shard-index", i.ToString(), "--num-shards", "3");
        Folders.AssertSame(Path.Combine(work, "tagged"), Path.Combine(solo, "tagged"));
        await Cli("export", "litdata", "--input", Path.Combine(solo, "tagged", "mix"), "--tokenizer", Path.Combine(work, "tokenizer"), "--output", Path.Combine(solo, "litdata"),
            "--chunk-bytes", "100000000", "--threads", "2");
        Folders.AssertSame(Path.Combine(work, "litdata", "safety", "train"), Path.Combine(solo, "litdata", "train"), ".bin");
        // index.json too, but for updated_at (the inputs' modification time: these are other copies of the same rows)
        static string Index(string dir) => System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(Path.Combine(dir, "index.json")), "\"updated_at\": *\"[^\"]*\"", "");
        Assert.Equal(Index(Path.Combine(work, "litdata", "safety", "train")), Index(Path.Combine(solo, "litdata", "train")));
    }

    [Fact]
    public async Task The_paper_pipeline_file_is_valid()
    {
        var r = await CliRunner.RunAsync("pipeline", "check", "--config", Path.Combine(TestDirs.RepoRoot(), "pipelines", "paper.yaml"), "--workdir", TestDirs.Fresh(), "--json");
        Assert.True(r.Code == 0, r.Err);
        var stages = JsonDocument.Parse(r.Out).RootElement.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Contains("mix", stages);
        Assert.Contains("plan", stages);
    }

    [Theory]
    [InlineData("stages:\n  - { name: a, run: score, colour: red }\n", "stages[0].colour")]
    [InlineData("stages:\n  - { name: a, run: score, with: { input: x, output: y, clasifier: z } }\n", "stages[0].with")]
    [InlineData("stages:\n  - { name: a, run: score, with: { input: \"${nope}\", output: y } }\n", "stages[0].with.input")]
    [InlineData("stages:\n  - { name: a, run: nosuchcommand }\n", "stages[0].with")]
    [InlineData("stages:\n  - { name: a, run: tag, with: { input: x, output: y } }\n  - { name: a, run: tag, with: { input: x, output: y } }\n", "stages[1].name")]
    [InlineData("workdir: w\n", "stages")]
    [InlineData("stages: [", "not valid YAML")]
    public async Task A_bad_pipeline_file_is_exit_2_naming_the_key(string yaml, string key)
    {
        var dir = TestDirs.Fresh();
        var path = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(path, yaml);
        var r = await CliRunner.RunAsync("pipeline", "run", "--config", path);
        Assert.Equal(2, r.Code);
        Assert.Contains(key, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }
}
