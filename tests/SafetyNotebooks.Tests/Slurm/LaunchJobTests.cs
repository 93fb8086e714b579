using System.Diagnostics;
using System.Text.Json;
using SafetyNotebooks.Launch;
using SafetyNotebooks.Tests.Foundation;
using SafetyNotebooks.Tests.Launch;

namespace SafetyNotebooks.Tests.Slurm;

/// <summary>
/// The pretraining launch on the real cluster. The plan's own launch.sbatch runs unchanged (`srun litgpt pretrain
/// --config …`); the test puts a small executable named litgpt on the job's PATH that records how srun started each
/// rank (arguments, SLURM_PROCID, SLURM_NTASKS, CUDA_VISIBLE_DEVICES, restarts), so the wiring is checked for real.
/// </summary>
[Collection("Slurm")]
[Trait("Category", "Slurm")]
public class LaunchJobTests
{
    const string StandIn = """
        #!/bin/bash
        # LitGPT stand-in: records how it was started, then does what FAKE_LITGPT_MODE says.
        restart="${SLURM_RESTART_COUNT:-0}"
        rec="$FAKE_LITGPT_DIR/rank-$SLURM_PROCID-run-$restart.txt"
        printf 'args=%s\nprocid=%s\nntasks=%s\nlocalid=%s\nnodeid=%s\ncuda=%s\njob=%s\n' "$*" "$SLURM_PROCID" "$SLURM_NTASKS" \
          "$SLURM_LOCALID" "$SLURM_NODEID" "$CUDA_VISIBLE_DEVICES" "$SLURM_JOB_ID" > "$rec.tmp" && mv "$rec.tmp" "$rec"
        echo "litgpt stand-in: rank $SLURM_PROCID of $SLURM_NTASKS started (restart $restart)"
        if [ "$FAKE_LITGPT_MODE" = fail ]; then echo "litgpt stand-in: simulated crash" >&2; exit 1; fi
        for i in $(seq 1200); do [ -f "$FAKE_LITGPT_DIR/release" ] && break; sleep 0.1; done
        if [ "$SLURM_PROCID" = 0 ]; then
          out=$(sed -n 's/^out_dir: *//p' "$3" | tr -d "'\"")
          mkdir -p "$out/logs/csv/version_0"
          printf 'iter,step,loss,total_tokens,device/items_per_sec\n4,1,9.5,16384,30000\n8,2,8.25,32768,31000\n' > "$out/logs/csv/version_0/metrics.csv"
        fi
        echo "litgpt stand-in: rank $SLURM_PROCID done"
        """;

    sealed record Run(string Plan, string Records, Dictionary<string, string> Environment);

    static async Task<Run> PlanAsync(string mode, bool withLitgpt = true)
    {
        SlurmCluster.Require();
        var root = TestDirs.Fresh("launch");
        LaunchFixtures.Tokenizer(root);
        LaunchFixtures.Dataset(root);
        var r = await CliRunner.RunAsync(LaunchFixtures.PaperArgs(root, "--model", "SmolLM2-135M", "--nodes", "1", "--gpus-per-node", "2", "--tokens", "2e6",
            "--global-batch", "8", "--micro-batch", "4", "--seq-length", "256", "--warmup-steps", "10", "--cpus-per-task", "1", "--time", "0:30:00", "--job-name", "safelm-test"));
        Assert.True(r.Code == 0, r.Err);
        var bin = Path.Combine(root, "bin");
        var records = Path.Combine(root, "records");
        Directory.CreateDirectory(bin);
        Directory.CreateDirectory(records);
        var path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        if (withLitgpt)
        {
            var exe = Path.Combine(bin, "litgpt");
            File.WriteAllText(exe, StandIn.Replace("\r", "") + "\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(exe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            path = bin + ":" + path;
        }
        Assert.True(withLitgpt || Submission.FindOnPath("litgpt", path) is null, "a real litgpt is on the PATH this test uses");
        return new Run(Path.Combine(root, "plan"), records, new() { ["PATH"] = path, ["FAKE_LITGPT_DIR"] = records, ["FAKE_LITGPT_MODE"] = mode });
    }

    static async Task<string> SubmitAsync(Run run)
    {
        var r = await Submission.SubmitAsync(run.Plan, dryRun: false, environment: run.Environment);
        Assert.True(r.Submitted, r.Output);
        Assert.Equal(r.JobId, Submission.LastJobId(run.Plan));
        return r.JobId!;
    }

    static async Task<Dictionary<string, string>> RecordAsync(Run run, int rank, int restart, int timeoutSeconds = 60)
    {
        var file = Path.Combine(run.Records, $"rank-{rank}-run-{restart}.txt");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(file))
        {
            if (clock.Elapsed.TotalSeconds > timeoutSeconds) throw new TimeoutException($"rank {rank} (restart {restart}) never started: no {file}");
            await Task.Delay(100);
        }
        return File.ReadAllLines(file).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
    }

    static async Task<(int Code, JsonElement Json)> StatusJsonAsync(Run run)
    {
        var r = await CliRunner.RunAsync("launch", "status", "--out", run.Plan, "--json");
        return (r.Code, JsonDocument.Parse(r.Out).RootElement.Clone());
    }

    [SlurmFact]
    public async Task Submitted_plan_runs_every_rank_through_srun_and_status_follows_it_to_completed()
    {
        var run = await PlanAsync("wait");
        var id = await SubmitAsync(run);
        await SlurmCluster.WaitAsync(id, j => j.Running, "RUNNING");
        var ranks = new[] { await RecordAsync(run, 0, 0), await RecordAsync(run, 1, 0) };
        var (code, json) = await StatusJsonAsync(run);
        Assert.Equal(0, code);
        Assert.Equal("RUNNING", json.GetProperty("job").GetProperty("state").GetString());

        var config = Path.Combine(run.Plan, "pretrain.yaml");
        for (var rank = 0; rank < 2; rank++)
        {
            var rec = ranks[rank];
            Assert.Equal($"pretrain --config {config}", rec["args"]);
            Assert.Equal((rank.ToString(), "2", rank.ToString(), "0", id), (rec["procid"], rec["ntasks"], rec["localid"], rec["nodeid"], rec["job"]));
            Assert.Equal(2, rec["cuda"].Split(',').Length); // --gpus-per-node=2: each rank sees the node's two GPUs, Lightning picks by local rank
        }
        Assert.Contains($"out_dir: {Path.Combine(run.Plan, "checkpoints")}", File.ReadAllText(config));

        File.WriteAllText(Path.Combine(run.Records, "release"), "");
        var done = await SlurmCluster.WaitAsync(id, j => j.Ended, "ended");
        Assert.True(done.Completed, done.ToString());
        var text = await CliRunner.RunAsync("launch", "status", "--out", run.Plan);
        Assert.True(text.Code == 0, text.Err);
        Assert.Contains($"job {id} (safelm-test): COMPLETED", text.Out);
        Assert.Contains("step 2: loss 8.25", text.Out);
        Assert.Contains("litgpt stand-in: rank 1 done", File.ReadAllText(SlurmScript.LogPath(run.Plan, "safelm-test", id)));
    }

    [SlurmFact]
    public async Task A_job_whose_litgpt_is_missing_or_crashes_is_failed_in_status_with_its_reason_and_log()
    {
        var missing = await PlanAsync("wait", withLitgpt: false);
        var id = await SubmitAsync(missing);
        Assert.True((await SlurmCluster.WaitAsync(id, j => j.Ended, "ended")).Failed);
        var r = await CliRunner.RunAsync("launch", "status", "--out", missing.Plan);
        Assert.Equal(1, r.Code);
        Assert.Contains($"error: job {id} FAILED", r.Err);
        Assert.Contains("exit code", r.Err);
        Assert.Contains("litgpt: No such file or directory", r.Out); // srun's execve() error, from the log's tail

        var crash = await PlanAsync("fail");
        var crashed = await SubmitAsync(crash);
        var job = await SlurmCluster.WaitAsync(crashed, j => j.Ended, "ended");
        Assert.Equal("FAILED", job.State);
        var (code, json) = await StatusJsonAsync(crash);
        Assert.Equal(1, code);
        Assert.Equal("NonZeroExitCode", json.GetProperty("job").GetProperty("reason").GetString());
        Assert.Contains(json.GetProperty("log_tail").EnumerateArray(), l => l.GetString()!.Contains("simulated crash"));
    }

    [SlurmFact]
    public async Task A_script_sbatch_refuses_is_exit_2_with_sbatchs_message_as_json()
    {
        var run = await PlanAsync("wait");
        var plan = PlanFiles.Read(run.Plan);
        PlanFiles.Write(plan with { Request = plan.Request with { Partition = "no-such-partition" } });
        var r = await CliRunner.RunAsync("launch", "submit", "--plan", run.Plan, "--json");
        Assert.Equal(2, r.Code);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.False(doc.RootElement.GetProperty("submitted").GetBoolean());
        Assert.Contains("sbatch refused the script", doc.RootElement.GetProperty("error").GetString());
        Assert.Contains("partition", doc.RootElement.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        var text = await CliRunner.RunAsync("launch", "submit", "--plan", run.Plan);
        Assert.Equal(2, text.Code);
        Assert.StartsWith("error: ", text.Err);
        Assert.DoesNotContain("Exception", text.Err);
        Assert.Null(Submission.LastJobId(run.Plan));
    }

    [SlurmFact]
    public async Task Launch_cancel_ends_a_running_job_and_status_reports_it()
    {
        var run = await PlanAsync("wait");
        var id = await SubmitAsync(run);
        await SlurmCluster.WaitAsync(id, j => j.Running, "RUNNING");
        await RecordAsync(run, 0, 0); // cancel a run whose ranks are training, not one still starting
        await RecordAsync(run, 1, 0);
        var c = await CliRunner.RunAsync("launch", "cancel", "--out", run.Plan);
        Assert.True(c.Code == 0, c.Err);
        Assert.Contains($"cancelled job {id}", c.Out);
        var job = await SlurmCluster.WaitAsync(id, j => j.Ended, "ended");
        Assert.Equal("CANCELLED", job.State);
        var s = await CliRunner.RunAsync("launch", "status", "--out", run.Plan);
        Assert.Equal(1, s.Code);
        Assert.Contains("CANCELLED", s.Err);
        Assert.Contains("CANCELLED AT", s.Out); // slurmstepd's line, from the log's tail
        Assert.DoesNotContain("rank 0 done", File.ReadAllText(SlurmScript.LogPath(run.Plan, "safelm-test", id)));
        var unknown = await CliRunner.RunAsync("launch", "cancel", "--out", run.Plan, "--job", "1; reboot");
        Assert.Equal(2, unknown.Code);
    }

    [SlurmFact]
    public async Task A_requeued_job_restarts_every_rank_and_keeps_the_first_runs_log()
    {
        var run = await PlanAsync("wait");
        var id = await SubmitAsync(run);
        await SlurmCluster.WaitAsync(id, j => j.Running, "RUNNING");
        await RecordAsync(run, 0, 0);
        await RecordAsync(run, 1, 0);
        Assert.Equal(0, SlurmCluster.Run("scontrol", "requeue", id).Code);
        await SlurmCluster.WaitAsync(id, j => j.Restarts == 1 && !j.Running, "requeued");
        // SLURM holds a requeued job back for a while (BeginTime); let it start now.
        Assert.Equal(0, SlurmCluster.Run("scontrol", "update", $"JobId={id}", "StartTime=now").Code);
        await SlurmCluster.WaitAsync(id, j => j.Running, "RUNNING again");
        await RecordAsync(run, 0, 1);
        await RecordAsync(run, 1, 1);
        var (_, json) = await StatusJsonAsync(run);
        Assert.Equal(1, json.GetProperty("job").GetProperty("restarts").GetInt32());
        File.WriteAllText(Path.Combine(run.Records, "release"), "");
        Assert.True((await SlurmCluster.WaitAsync(id, j => j.Ended, "ended")).Completed);
        var log = File.ReadAllText(SlurmScript.LogPath(run.Plan, "safelm-test", id));
        Assert.Contains("rank 0 of 2 started (restart 0)", log); // kept: --open-mode=append
        Assert.Contains("rank 0 of 2 started (restart 1)", log);
        Assert.Contains("1 requeue", (await CliRunner.RunAsync("launch", "status", "--out", run.Plan)).Out);
    }
}
