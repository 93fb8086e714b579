using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Mixing;
using SafetyNotebooks.Tagging;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Pipeline;

public class MixTests
{
    // a toy corpus split over two files (with a train/ split folder) and one synthetic-like source without scores
    static async Task<string> Sources()
    {
        var dir = TestDirs.Fresh();
        var docs = ToyWorld.Corpus(600, new ToyOptions(3)).ToList();
        await Documents.WriteAsync(Path.Combine(dir, "web", "train", "00000.parquet"), docs.Take(300), new DocumentWriteOptions(RowGroupSize: 50));
        await Documents.WriteAsync(Path.Combine(dir, "web", "train", "00001.parquet"), docs.Skip(300), new DocumentWriteOptions(RowGroupSize: 50));
        await Documents.WriteAsync(Path.Combine(dir, "refusals", "score_5_refusal", "train", "00000.parquet"),
            docs.Take(40).Select(d => new Document(d.Id, "User: " + d.Text + "\nAssistant: I can't help with that.")), new DocumentWriteOptions(IncludeToolkitColumns: false));
        return dir;
    }

    static string Yaml(string dir, string body)
    {
        var path = Path.Combine(dir, $"mix-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, body);
        return path;
    }

    const string Shares = """
        seed: 7
        budget_tokens: 60000
        rows_per_file: 64
        phases:
          - name: raw
            until: 0.25
            sources:
              - { name: web, input: web, share: 1.0 }
          - name: safety
            sources:
              - { name: score0, input: web, max_score: 0, share: 0.5 }
              - { name: unsafe, input: web, min_score: 1, share: 0.3 }
              - { name: refuseweb, input: refusals, share: 0.2, score: 0 }
        """;

    [Fact]
    public async Task Realised_token_shares_are_within_one_percent_of_the_requested_and_phases_split_the_budget()
    {
        var dir = await Sources();
        var spec = MixSpec.Load(Yaml(dir, Shares));
        var r = await MixJob.RunAsync(spec, Path.Combine(dir, "out"));
        Assert.Equal(["raw", "safety"], r.Manifest.Phases.Select(p => p.Name));
        Assert.Equal(15000, r.Manifest.Phases[0].TrainTokens);
        Assert.Equal(45000, r.Manifest.Phases[1].TrainTokens);
        foreach (var phase in r.Manifest.Phases)
        {
            Assert.InRange(phase.Tokens, phase.TrainTokens!.Value, phase.TrainTokens.Value * 1.01);
            foreach (var s in phase.Sources) Assert.InRange(s.RealisedShare, s.RequestedShare!.Value - 0.01, s.RequestedShare.Value + 0.01);
        }
        // the refusal source (40 documents) is smaller than its share: it is cycled, later copies get their own ids
        var refusals = r.Manifest.Phases[1].Sources.Single(s => s.Name == "refuseweb");
        Assert.Equal(40, refusals.Documents);
        Assert.True(refusals.Rows > 40);
        var rows = new List<Document>();
        foreach (var f in r.Manifest.Phases[1].Files) rows.AddRange(await Documents.ReadListAsync(Path.Combine(dir, "out", f)));
        Assert.Equal(r.Manifest.Phases[1].Rows, rows.Count);
        Assert.All(rows, d => Assert.NotNull(d.SafetyScore)); // synthetic rows got the source's score 0
        Assert.Contains(rows, d => d.Id.Contains('#'));
        // the score filters hold
        var unsafeIds = rows.Where(d => d.SafetyScore >= 1).Select(d => d.Id.Split('#')[0]).ToHashSet();
        Assert.NotEmpty(unsafeIds);
    }

    [Fact]
    public async Task Repeat_factors_upsample_whole_sources()
    {
        var dir = await Sources();
        var spec = MixSpec.Load(Yaml(dir, """
            sources:
              - { name: unsafe, input: web, min_score: 4, repeat: 1 }
              - { name: refuseweb, input: refusals, repeat: 6, score: 0 }
              - { name: half, input: web, max_score: 0, repeat: 0.5 }
            """));
        var r = await MixJob.RunAsync(spec, Path.Combine(dir, "out"));
        var s = r.Manifest.Phases.Single().Sources.ToDictionary(x => x.Name);
        Assert.Equal(240, s["refuseweb"].Rows);
        Assert.Equal(40, s["refuseweb"].Documents);
        var score0 = (await Documents.ReadListAsync(Path.Combine(dir, "web", "train", "00000.parquet"))).Concat(await Documents.ReadListAsync(Path.Combine(dir, "web", "train", "00001.parquet")))
            .Count(d => d.SafetyScore == 0);
        Assert.InRange(s["half"].Rows, score0 * 0.35, score0 * 0.65); // a seeded half
    }

    [Fact]
    public async Task Mixture_is_byte_identical_for_1_and_2_threads_and_for_1_and_3_shards()
    {
        var dir = await Sources();
        var config = Yaml(dir, Shares);
        async Task Run(string output, params string[] extra)
        {
            var r = await CliRunner.RunAsync(["mix", "--config", config, "--output", output, .. extra]);
            Assert.True(r.Code == 0, r.Err);
        }
        await Run(Path.Combine(dir, "one"));
        await Run(Path.Combine(dir, "two"), "--threads", "2");
        for (var i = 0; i < 3; i++) await Run(Path.Combine(dir, "three"), "--shard-index", i.ToString(), "--num-shards", "3");
        Folders.AssertSame(Path.Combine(dir, "one"), Path.Combine(dir, "two"));
        Folders.AssertSame(Path.Combine(dir, "one"), Path.Combine(dir, "three"));
        Assert.True(Folders.Files(Path.Combine(dir, "one"), ".parquet").Count > 3); // several output files, so the shards really split them
    }

    [Theory]
    [InlineData("sources:\n  - { name: a, input: web, share: 0.5 }\n", "budget_tokens")]
    [InlineData("budget_tokens: 100\nsources:\n  - { name: a, input: web, share: 0.5 }\n", "sources")]
    [InlineData("sources:\n  - { name: a, input: web, repeat: 1, weight: 2 }\n", "sources[0].weight")]
    [InlineData("sources:\n  - { name: a, input: web, repeat: 1, min_score: 9 }\n", "min_score")]
    [InlineData("budget_tokens: 100\nphases:\n  - { name: raw, until: 0.2, sources: [ { name: a, input: web, share: 1 } ] }\n", "until")]
    public async Task A_bad_mixture_file_is_exit_2_naming_the_key(string yaml, string key)
    {
        var dir = await Sources();
        var r = await CliRunner.RunAsync("mix", "--config", Yaml(dir, yaml), "--output", Path.Combine(dir, "out"));
        Assert.Equal(2, r.Code);
        Assert.Contains(key, r.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public async Task A_rerun_with_another_mixture_into_the_same_folder_is_refused()
    {
        var dir = await Sources();
        Assert.Equal(0, (await CliRunner.RunAsync("mix", "--config", Yaml(dir, Shares), "--output", Path.Combine(dir, "out"))).Code);
        var again = await CliRunner.RunAsync("mix", "--config", Yaml(dir, Shares.Replace("seed: 7", "seed: 8")), "--output", Path.Combine(dir, "out"), "--json");
        Assert.Equal(2, again.Code);
        var same = await CliRunner.RunAsync("mix", "--config", Yaml(dir, Shares), "--output", Path.Combine(dir, "out"), "--json");
        Assert.Equal(0, same.Code);
        Assert.Equal(0, JsonDocument.Parse(same.Out).RootElement.GetProperty("files_written").GetInt32());
    }

    [Fact]
    public async Task A_mix_spilled_under_a_tiny_memory_bound_is_byte_identical_to_the_in_memory_one_and_never_holds_more_than_the_bound()
    {
        var dir = await Sources();
        var spec = MixSpec.Load(Yaml(dir, Shares));
        var whole = await MixJob.RunAsync(spec, Path.Combine(dir, "whole"));
        var bound = new MixMemory(48 * 1024);
        var spilled = await MixJob.RunAsync(spec, Path.Combine(dir, "spilled"), memory: bound);
        Folders.AssertSame(Path.Combine(dir, "whole"), Path.Combine(dir, "spilled"));
        var rows = spilled.Manifest.Phases.Sum(p => p.Rows);
        Assert.True(whole.Memory.PeakRows >= spilled.Manifest.Phases.Max(p => p.Rows)); // unbounded, a phase's rows are sorted in one bucket
        Assert.InRange(bound.PeakBytes, 1, bound.LimitBytes);
        Assert.InRange(bound.PeakRows, 1, rows / 8);
        Assert.True(bound.SpillFiles >= 16, $"{bound.SpillFiles} spill files");
        Assert.Empty(Directory.GetDirectories(Path.Combine(dir, "spilled"), ".mix-spill-*")); // the buckets are removed
    }

    [Theory]
    [InlineData(1)]         // every threshold search narrows to the full 64-bit key, every bucket splits down to single rows
    [InlineData(16 * 1024)]
    [InlineData(1L << 30)]
    public async Task The_streamed_mixture_is_the_in_memory_plan_row_for_row(long limitBytes)
    {
        var dir = await Sources();
        var spec = MixSpec.Load(Yaml(dir, Shares));
        var r = await MixJob.RunAsync(spec, Path.Combine(dir, "out"), memory: new MixMemory(limitBytes));
        for (var p = 0; p < spec.Phases.Count; p++)
        {
            var phase = spec.Phases[p];
            var candidates = new List<IReadOnlyList<MixCandidate>>();
            foreach (var s in phase.Sources)
            {
                var docs = new List<MixCandidate>();
                await foreach (var d in Documents.ReadAllAsync(InputFiles.Find(s.Inputs, InputFiles.Parquet).Select(f => f.Path)))
                    if (s.Admits(d.SafetyScore)) docs.Add(new MixCandidate(d, AsciiWhitespace.CountWords(System.Text.Encoding.UTF8.GetBytes(d.Text))));
                candidates.Add(docs);
            }
            var plan = MixPlanner.Plan(phase, spec.PhaseTokens(p), candidates, spec.Seed);
            var written = new List<string>();
            foreach (var f in r.Manifest.Phases[p].Files) written.AddRange((await Documents.ReadListAsync(Path.Combine(dir, "out", f))).Select(d => d.Id));
            Assert.Equal(plan.Rows.Select(x => x.Copy == 0 ? x.Doc.Id : $"{x.Doc.Id}#{x.Copy}"), written);
            Assert.Equal(plan.Sources.Select(x => (x.Name, x.Documents, x.Rows, x.Tokens)), r.Manifest.Phases[p].Sources.Select(x => (x.Name, x.Documents, x.Rows, x.Tokens)));
        }
    }

    [Fact]
    public async Task A_killed_mix_resumes_its_missing_files_over_stale_buckets_and_ends_byte_identical()
    {
        var dir = await Sources();
        var config = Yaml(dir, Shares);
        Assert.Equal(0, (await CliRunner.RunAsync("mix", "--config", config, "--output", Path.Combine(dir, "done"))).Code);
        var killed = Path.Combine(dir, "killed");
        Assert.Equal(0, (await CliRunner.RunAsync("mix", "--config", config, "--output", killed, "--memory-mb", "1")).Code);
        // what a kill leaves: some files not yet renamed into place, the manifest not yet written, a bucket folder half full
        var files = Folders.Files(killed, ".parquet").Keys.ToList();
        foreach (var f in files.Where((_, i) => i % 3 == 1)) File.Delete(Path.Combine(killed, f));
        File.Delete(Path.Combine(killed, MixJob.ManifestFile));
        Directory.CreateDirectory(Path.Combine(killed, ".mix-spill-0"));
        File.WriteAllText(Path.Combine(killed, ".mix-spill-0", "00003.bin"), "half a bucket");
        var again = await CliRunner.RunAsync("mix", "--config", config, "--output", killed, "--memory-mb", "1", "--json");
        Assert.True(again.Code == 0, again.Err);
        var json = JsonDocument.Parse(again.Out).RootElement;
        Assert.Equal(files.Count(f => files.IndexOf(f) % 3 == 1), json.GetProperty("files_written").GetInt32());
        Assert.True(json.GetProperty("memory").GetProperty("peak_bytes").GetInt64() <= 1 << 20);
        Folders.AssertSame(Path.Combine(dir, "done"), killed);
        Assert.False(Directory.Exists(Path.Combine(killed, ".mix-spill-0")));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    public async Task A_bad_memory_bound_is_exit_2_naming_the_option(string value)
    {
        var dir = await Sources();
        var r = await CliRunner.RunAsync("mix", "--config", Yaml(dir, Shares), "--output", Path.Combine(dir, "out"), "--memory-mb", value);
        Assert.Equal(2, r.Code);
        Assert.Contains("--memory-mb", r.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }
}
