using System.Text.Json;
using SafetyNotebooks.Launch;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Launch;

public class SubmitAndStatusTests
{
    static async Task<string> PlanFolder()
    {
        var root = TestDirs.Fresh();
        LaunchFixtures.Tokenizer(root);
        LaunchFixtures.Dataset(root);
        var r = await CliRunner.RunAsync(LaunchFixtures.PaperArgs(root));
        Assert.True(r.Code == 0, r.Err);
        return Path.Combine(root, "plan");
    }

    // Submitting for real is tested on the cluster (tests/SafetyNotebooks.Tests/Slurm/LaunchJobTests.cs).
    [Fact]
    public async Task Dry_run_prints_the_sbatch_command_and_submits_nothing()
    {
        var plan = await PlanFolder();
        var dry = await Submission.SubmitAsync(plan, dryRun: true);
        Assert.False(dry.Submitted);
        Assert.Contains($"sbatch --parsable {Path.Combine(plan, "launch.sbatch")}", dry.Commands);
        Assert.False(File.Exists(Path.Combine(plan, Submission.SubmissionsLog)));
        Assert.Null(Submission.LastJobId(plan));
    }

    [Fact]
    public async Task Submit_without_sbatch_prints_the_commands()
    {
        var plan = await PlanFolder();
        var r = await Submission.SubmitAsync(plan, dryRun: false, searchPath: TestDirs.Fresh());
        Assert.False(r.Submitted);
        Assert.Contains("not on PATH", r.Output);
        var cli = await CliRunner.RunAsync("launch", "submit", "--plan", plan, "--dry-run");
        Assert.Equal(0, cli.Code);
        Assert.Contains("sbatch --parsable", cli.Out);
        var notPlan = await CliRunner.RunAsync("launch", "submit", "--plan", TestDirs.Fresh());
        Assert.Equal(2, notPlan.Code);
    }

    const string LitGptCsv =
        "device/batches_per_sec,device/flops_per_sec,device/items_per_sec,device/mfu,device/samples_per_sec,epoch,iter,iter_time,learning_rate,loss,remaining_time,step,tokens,total_tokens,val_loss,val_ppl\n" +
        "1.0,3.9e14,16384.0,0.39,8.0,0,4,0.5,1e-06,10.9,100.0,0,16384,524288,,\n" +
        "1.0,3.9e14,33000.0,0.4,8.0,0,8,0.5,2e-06,9.5,99.0,1,32768,1048576,,\n" +
        ",,,,,,,,,,,1,,,9.4,12100.0\n" +
        "1.0,3.9e14,34000.0,0.41,8.0,0,12,0.5,3e-06,8.25,98.0,2,49152,1572864,,\n";

    [Fact]
    public void Csv_logger_rows_are_merged_by_step()
    {
        var points = TrainingMetrics.ParseCsv(LitGptCsv.Split('\n')).ToList();
        Assert.Equal(4, points.Count);
        Assert.Equal(9.4, points[2].ValLoss);
        Assert.Null(points[2].Loss);
        Assert.Equal(34000.0, points[3].TokensPerSecondPerGpu);
    }

    [Fact]
    public void Torn_json_lines_are_skipped()
    {
        var pts = TrainingMetrics.ParseJsonLines(["{\"step\": 1, \"loss\": 3.5}", "{\"step\": 2, \"loss\": 3.", "[1]", "{\"loss\": 1}"]).ToList();
        Assert.Single(pts);
        Assert.Equal(3.5, pts[0].Loss);
    }

    [Fact]
    public async Task Status_reads_litgpt_logs_and_writes_charts()
    {
        var plan = await PlanFolder();
        var logs = Path.Combine(plan, "checkpoints", "logs", "csv", "version_0");
        Directory.CreateDirectory(logs);
        File.WriteAllText(Path.Combine(logs, "metrics.csv"), LitGptCsv);
        var r = await CliRunner.RunAsync("launch", "status", "--out", plan, "--json");
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(3, doc.RootElement.GetProperty("points").GetInt32());
        Assert.Equal(8.25, doc.RootElement.GetProperty("last_loss").GetDouble());
        Assert.Equal(9.4, doc.RootElement.GetProperty("last_val_loss").GetDouble());
        Assert.True(doc.RootElement.GetProperty("eta_days").GetDouble() > 5);
        var html = File.ReadAllText(Path.Combine(plan, "status.html"));
        Assert.Contains("train loss", html);
        Assert.Contains("tokens/s/GPU", html);

        var empty = await CliRunner.RunAsync("launch", "status", "--out", TestDirs.Fresh());
        Assert.Equal(0, empty.Code);
        Assert.Contains("no LitGPT metrics yet", empty.Out);
    }
}
