using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Synthesis;

public class SynthCliTests
{
    [Fact]
    public async Task Synth_commands_chain_refusals_into_morals_in_the_released_layout()
    {
        var root = TestDirs.Fresh();
        var input = Path.Combine(root, "toy.parquet");
        await Documents.WriteAsync(input, ToyWorld.Corpus(60, new ToyOptions(4)));
        var outDir = Path.Combine(root, "out");

        var refuse = await CliRunner.RunAsync("synth", "refuse", "--input", input, "--output", outDir, "--endpoint", "toy", "--model", "toy", "--json");
        Assert.True(refuse.Code == 0, refuse.Err);
        using var doc = JsonDocument.Parse(refuse.Out);
        Assert.True(doc.RootElement.GetProperty("accepted").GetInt32() > 0);
        var shard = Path.Combine(outDir, "score_5_refusal", "train", "toy.parquet"); // named after the input (InputFiles' one layout)
        var rows = await Documents.ReadListAsync(shard);
        Assert.All(rows, r => Assert.StartsWith("User:", r.Text));
        Assert.All(rows, r => Assert.Equal("TOY-WORLD-1", r.Metadata?.Dump)); // the source's FineWeb metadata is kept

        var moral = await CliRunner.RunAsync("synth", "moral", "--input", Path.Combine(outDir, "score_5_refusal"), "--output", outDir, "--endpoint", "toy", "--model", "toy");
        Assert.True(moral.Code == 0, moral.Err);
        var morals = await Documents.ReadListAsync(Path.Combine(outDir, "score_5_morals", "train", "toy.parquet"));
        Assert.Equal(rows.Select(r => r.Id), morals.Select(m => m.Id));

        var rerun = await CliRunner.RunAsync("synth", "refuse", "--input", input, "--output", outDir, "--endpoint", "toy", "--model", "toy", "--json");
        using var again = JsonDocument.Parse(rerun.Out);
        Assert.Equal(0, again.RootElement.GetProperty("requests").GetInt32());
    }

    [Fact]
    public async Task Bad_inputs_are_exit_2()
    {
        var root = TestDirs.Fresh();
        var missing = await CliRunner.RunAsync("synth", "rephrase", "--input", Path.Combine(root, "nope.parquet"), "--output", root, "--endpoint", "toy", "--model", "m");
        Assert.Equal(2, missing.Code);
        var input = Path.Combine(root, "toy.parquet");
        await Documents.WriteAsync(input, ToyWorld.Corpus(5));
        var url = await CliRunner.RunAsync("synth", "rephrase", "--input", input, "--output", root, "--endpoint", "ftp://x", "--model", "m");
        Assert.Equal(2, url.Code);
        Assert.Contains("--endpoint", url.Err);
        var conc = await CliRunner.RunAsync("synth", "rephrase", "--input", input, "--output", root, "--endpoint", "toy", "--model", "m", "--concurrency", "0");
        Assert.Equal(2, conc.Code);
    }

    [Fact]
    public async Task A_duplicate_id_is_exit_2_naming_the_file_and_the_id()
    {
        var root = TestDirs.Fresh();
        var corpus = ToyWorld.Corpus(60, new ToyOptions(4)).ToList();
        var twin = corpus.First(d => d.SafetyScore >= 4);
        var input = Path.Combine(root, "twins.parquet");
        await Documents.WriteAsync(input, [.. corpus, twin with { Text = twin.Text + " (again)" }]);
        var r = await CliRunner.RunAsync("synth", "refuse", "--input", input, "--output", Path.Combine(root, "out"), "--endpoint", "toy", "--model", "toy");
        Assert.Equal(2, r.Code);
        Assert.Contains("twins.parquet", r.Err);
        Assert.Contains(twin.Id, r.Err);
        Assert.Contains("duplicate id", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }
}

public class SyntheticDataExperimentTests
{
    [Fact]
    public async Task Experiment_produces_every_kind_and_keeps_rejects()
    {
        var clean = await Experiments.SyntheticDataAsync(new Experiments.SyntheticDataOptions(80, 2, TestDirs.Fresh()));
        Assert.Empty(clean.Rejects);
        Assert.Equal(3, clean.Examples.Count);
        Assert.Contains(clean.Shards.Keys, k => k.EndsWith("_rephrased"));
        Assert.Contains(clean.Shards.Keys, k => k.EndsWith("_refusal"));
        Assert.Contains(clean.Shards.Keys, k => k.EndsWith("_morals"));
        Assert.Equal(clean.Refusals.Accepted.Count(), clean.Morals.Outcomes.Count);

        var faulty = await Experiments.SyntheticDataAsync(new Experiments.SyntheticDataOptions(80, 2, TestDirs.Fresh(),
            Misbehaviour: new SafetyNotebooks.Synthesis.ToyMisbehaviour(2, 0.1, 0.1, 0.1, 0.2)));
        Assert.NotEmpty(faulty.Rejects);
        Assert.All(faulty.Rejects, r => Assert.False(string.IsNullOrEmpty(r.RejectReason)));
        var rejects = File.ReadAllLines(Path.Combine(faulty.OutputDir, "rejects.jsonl"));
        Assert.Equal(faulty.Rejects.Count, rejects.Length);
    }
}
