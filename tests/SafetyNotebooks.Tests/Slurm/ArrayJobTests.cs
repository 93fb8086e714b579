using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.LitData;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Launch;
using SafetyNotebooks.Scoring;
using SafetyNotebooks.Tests.Foundation;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Slurm;

/// <summary>
/// Each sharded data stage as a SLURM array on the real cluster: the array is cancelled after its first task, submitted
/// again, and the union of its shards must equal a one-process run byte for byte, with the finished shard skipped.
/// </summary>
[Collection("Slurm")]
[Trait("Category", "Slurm")]
public class ArrayJobTests
{
    const int Shards = 3;

    static async Task<string> ToyInput(int files = 6, int heldOut = 1, bool splits = false)
    {
        var root = TestDirs.Fresh("toy");
        await ToyExport.WriteAsync(root, files * 20, new ToyOptions(Seed: 5), heldOut: heldOut, jbPrompts: 1, docsPerShard: 20);
        return splits ? Path.Combine(root, ToyExport.Config) : Path.Combine(root, ToyExport.Config, "train");
    }

    /// <summary>A stage's files, without its bookkeeping: the job state, and the folders in <paramref name="state"/>.</summary>
    static Dictionary<string, byte[]> Outputs(string dir, IReadOnlyCollection<string> state) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(dir, f).Split(Path.DirectorySeparatorChar).Any(p => p == ShardJob.StateFolder || state.Contains(p)))
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    static async Task<string> SubmitArrayAsync(string stage, string slurmDir, int throttle, string[] stageCommand)
    {
        var r = await CliRunner.RunAsync(["slurm", "array", "--stage", stage, "--shards", Shards.ToString(), "--throttle", throttle.ToString(),
            "--time", "0:10:00", "--mem", "2G", "--out", slurmDir, "--submit", "--json", "--", .. SlurmCluster.Safetynb(), .. stageCommand]);
        Assert.True(r.Code == 0, r.Out + r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        return doc.RootElement.GetProperty("job_id").GetString()!;
    }

    static string Logs(string slurmDir) =>
        string.Join("\n", Directory.EnumerateFiles(Path.Combine(slurmDir, "logs")).Order().Select(f => $"== {f}\n{File.ReadAllText(f)}"));

    /// <summary>One-process run, then the array cancelled after task 0 and resubmitted; returns the two outputs.</summary>
    /// <param name="state">Folders of the stage's own bookkeeping (journals, done markers) left out of the comparison.</param>
    async Task<Dictionary<string, byte[]>> CheckStage(string stage, Func<string, string[]> command, params string[] state)
    {
        Dictionary<string, byte[]> Outputs(string dir) => ArrayJobTests.Outputs(dir, state);
        SlurmCluster.Require();
        var one = Path.Combine(TestDirs.Fresh(stage), "out");
        var local = await CliRunner.RunAsync(command(one));
        Assert.True(local.Code == 0, local.Err);
        Assert.NotEmpty(Outputs(one));

        var slurmDir = TestDirs.Fresh("slurm");
        var sharded = Path.Combine(TestDirs.Fresh(stage), "out");
        var first = await SubmitArrayAsync(stage, slurmDir, throttle: 1, command(sharded));
        await SlurmCluster.WaitAsync($"{first}_0", j => j.Ended, "task 0 ended");
        Assert.Equal(0, SlurmCluster.Run("scancel", first).Code);
        var cancelled = await SlurmCluster.WaitForArrayAsync(first);
        Assert.True(cancelled.Single(t => t.JobId == $"{first}_0").Completed, Logs(slurmDir));
        Assert.Contains(cancelled, t => t.State == "CANCELLED");
        var status = await CliRunner.RunAsync("slurm", "status", "--job", first);
        Assert.Equal(1, status.Code);
        Assert.Contains("CANCELLED", status.Err);
        Assert.Contains($"job {first}_0 (safetynb-{stage}): COMPLETED", status.Out);
        Assert.NotEqual(Outputs(one).Count, Outputs(sharded).Count); // the cancel came mid-way

        var second = await SubmitArrayAsync(stage, slurmDir, throttle: Shards, command(sharded));
        var tasks = await SlurmCluster.WaitForArrayAsync(second);
        Assert.True(tasks.All(t => t.Completed), string.Join("; ", tasks) + "\n" + Logs(slurmDir));
        Assert.Equal(Shards, tasks.Count);
        var done = await CliRunner.RunAsync("slurm", "status", "--job", second, "--json");
        Assert.True(done.Code == 0, done.Err);
        Assert.Equal(Shards, JsonDocument.Parse(done.Out).RootElement.GetProperty("tasks").GetArrayLength());

        var expected = Outputs(one);
        var got = Outputs(sharded);
        Assert.Equal(expected.Keys.Order(), got.Keys.Order());
        foreach (var (name, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(got[name]), $"{name} differs from the one-process run");
        // The resubmitted task 0 found its files finished and skipped them; its log kept the first run's lines (append).
        var log0 = File.ReadAllText(Path.Combine(slurmDir, "logs", $"safetynb-{stage}-{second}_0.out"));
        Assert.Contains($"task 0 of {Shards}", log0);
        Assert.True(File.ReadAllText(Path.Combine(slurmDir, "logs", $"safetynb-{stage}-{first}_0.out")).Length > 0);
        Assert.Matches(SkippedPattern(stage), log0);
        return got;
    }

    static string SkippedPattern(string stage) => stage switch
    {
        "tag" => @"0 file\(s\) tagged, 2 already done",
        "convert" => @"0 file\(s\) written, 2 already done",
        "export" => @"""processed"":0,""skipped"":3", // test/00000 and train/00002, train/00005 of 7 units
        "synth" => @"2 unit\(s\), 2 already done",
        _ => "already scored, skipped",
    };

    [SlurmFact]
    public async Task Tag_array_resumes_after_scancel_and_its_union_is_the_one_process_output()
    {
        var input = await ToyInput();
        await CheckStage("tag", output => ["tag", "--input", input, "--output", output, "--rate", "0.1"]);
    }

    [SlurmFact]
    public async Task Data_convert_array_resumes_after_scancel_and_its_union_is_the_one_process_output()
    {
        var input = await ToyInput();
        await CheckStage("convert", output => ["data", "convert", input, "--output", output, "--compression", "zstd"]);
    }

    [SlurmFact]
    public async Task Score_array_resumes_after_scancel_and_its_union_is_the_one_process_output()
    {
        var dir = TestDirs.Fresh("score");
        var input = Path.Combine(dir, "in");
        var texts = Scoring.ClassifierTests.Corpus(60, 31);
        for (var f = 0; f < 6; f++)
            await Documents.WriteAsync(Path.Combine(input, $"shard-{f}.parquet"),
                texts.Skip(f * 10).Take(10).Select((x, i) => new Document($"d{f}-{i}", x.Text)), new DocumentWriteOptions(RowGroupSize: 4));
        var (classifier, _) = SafetyClassifier.Train(Scoring.ClassifierTests.Corpus(60, 1), Scoring.ClassifierTests.Corpus(10, 2),
            new TrainingOptions([new("lp", true, 1e-2, 16, 1, 0)], Lambda: 3, MaxLength: 16, Device: "cpu"));
        var model = Path.Combine(dir, "model");
        using (classifier) classifier.Save(model);
        await CheckStage("score", output => ["score", "--input", input, "--output", output, "--classifier", model, "--device", "cpu"]);
    }

    [SlurmFact]
    public async Task Export_litdata_array_resumes_after_scancel_and_its_merged_splits_are_the_one_process_output()
    {
        var input = await ToyInput(heldOut: 20, splits: true);
        var tok = ByteLevelTokenizer.Write(Path.Combine(TestDirs.Fresh("tok"), "tok"));
        // --json: the task that finds every part merges and prints the splits instead of the unit counts
        var got = await CheckStage("export", output => ["export", "litdata", "--input", input, "--tokenizer", tok, "--output", output, "--chunk-bytes", "4000", "--json"]);
        foreach (var split in new[] { "train", "test" })
        {
            Assert.Contains(Path.Combine(split, LitDataFormat.IndexFile), got.Keys);
            Assert.Contains(got.Keys, k => k.StartsWith(split + Path.DirectorySeparatorChar, StringComparison.Ordinal) && k.EndsWith(".bin", StringComparison.Ordinal));
        }
        Assert.True(got.Keys.Count(k => k.StartsWith("train", StringComparison.Ordinal) && k.EndsWith(".bin", StringComparison.Ordinal)) > 1);
    }

    [SlurmFact]
    public async Task Synth_rephrase_array_resumes_after_scancel_and_its_union_is_the_one_process_output()
    {
        var input = await ToyInput();
        // work/ (the per-unit request journals) and .synth-rephrase/ (done markers) are the stage's bookkeeping
        var got = await CheckStage("synth", output => ["synth", "rephrase", "--input", input, "--output", output, "--endpoint", "toy", "--model", "toy", "--seed", "3"],
            "work", ".synth-rephrase");
        Assert.Contains(got.Keys, k => k.StartsWith("score_", StringComparison.Ordinal) && k.EndsWith(".parquet", StringComparison.Ordinal));
    }
}
