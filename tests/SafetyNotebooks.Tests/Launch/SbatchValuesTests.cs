using System.Diagnostics;
using System.Text.Json;
using SafetyNotebooks.Launch;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Launch;

/// <summary>Every value written into a batch script is checked first; the checks need no cluster.</summary>
public class SbatchValuesTests
{
    public static TheoryData<string, string, string> PlanRefusals => new()
    {
        { "--partition", "gpu\necho INJECTED", "gpu\\u000aecho INJECTED" },
        { "--partition", "gpu;reboot", "gpu;reboot" },
        { "--partition", "gpu,,cpu", "gpu,,cpu" },
        { "--account", "lab $(id)", "lab $(id)" },
        { "--job-name", "a`b`", "a`b`" },
        { "--time", "00:10:00", "00:10:00" },
        { "--time", "10", "10" },
        { "--time", "1-25:00:00", "1-25:00:00" },
        { "--time", "2 days", "2 days" },
        { "--time", "1:61", "1:61" },
        { "--cpus-per-task", "0", "0" },
        { "--mem", "lots", "lots" },
        { "--mem", "16G\n#SBATCH --x", "16G\\u000a#SBATCH --x" },
        { "--requeue-margin", "-1", "-1" },
    };

    [Theory]
    [MemberData(nameof(PlanRefusals))]
    public async Task Launch_plan_refuses_unsafe_or_meaningless_sbatch_values_with_exit_2_naming_option_and_value(string option, string value, string shown)
    {
        var root = TestDirs.Fresh();
        LaunchFixtures.Tokenizer(root);
        LaunchFixtures.Dataset(root);
        var r = await CliRunner.RunAsync(LaunchFixtures.PaperArgs(root, option, value));
        Assert.Equal(2, r.Code);
        Assert.Contains(option, r.Err);
        Assert.Contains($"'{shown}'", r.Err);
        Assert.DoesNotContain("Exception", r.Err);
        Assert.False(File.Exists(Path.Combine(root, "plan", "launch.sbatch")));
    }

    [Fact]
    public async Task Plan_options_reach_the_script_and_logs_are_appended_across_requeues()
    {
        var root = TestDirs.Fresh();
        LaunchFixtures.Tokenizer(root);
        LaunchFixtures.Dataset(root);
        var r = await CliRunner.RunAsync(LaunchFixtures.PaperArgs(root, "--cpus-per-task", "6", "--time", "0:20:00", "--requeue-margin", "300",
            "--partition", "gpu,gpu-long", "--account", "lab_1", "--mem", "500G"));
        Assert.True(r.Code == 0, r.Err);
        var script = File.ReadAllText(Path.Combine(root, "plan", "launch.sbatch"));
        foreach (var line in new[] { "--cpus-per-task=6", "--time=0:20:00", "--signal=B:USR1@300", "--partition=gpu,gpu-long", "--account=lab_1", "--mem=500G", "--open-mode=append" })
            Assert.Contains($"#SBATCH {line}\n", script);
        Assert.Contains("srun litgpt pretrain --config ", script);
    }

    [Theory]
    [InlineData("30", 1800)]
    [InlineData("30:15", 1815)]
    [InlineData("48:00:00", 172800)]
    [InlineData("2-00:00:00", 172800)]
    [InlineData("1-12", 129600)]
    [InlineData("1-12:30", 131400)]
    [InlineData("0-00:00:01", 1)]
    public void Slurm_time_formats_are_read_as_slurm_reads_them(string text, long seconds) =>
        Assert.Equal(seconds, SbatchValues.TimeSeconds(text, "--time"));

    [Fact]
    public void Day_hour_minute_second_limits_read_back_to_their_seconds()
    {
        var random = new Random(17);
        for (var i = 0; i < 500; i++)
        {
            var s = random.NextInt64(1, 30L * 86400);
            var text = $"{s / 86400}-{s / 3600 % 24:00}:{s / 60 % 60:00}:{s % 60:00}";
            Assert.Equal(s, SbatchValues.TimeSeconds(text, "--time"));
            Assert.Equal(s, SbatchValues.TimeSeconds($"{s / 3600}:{s / 60 % 60:00}:{s % 60:00}", "--time"));
        }
    }

    [Fact]
    public void Every_ascii_character_outside_the_name_alphabet_is_refused()
    {
        for (var c = (char)0; c < 128; c++)
        {
            var allowed = char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '+' or '-';
            var name = "a" + c + "b";
            if (allowed) Assert.Equal(name, SbatchValues.Name(name, "--partition"));
            else if (c == ',') Assert.Equal(name, SbatchValues.Name(name, "--partition", list: true));
            else Assert.Throws<BadInputException>(() => SbatchValues.Name(name, "--partition", list: true));
        }
    }

    [Fact]
    public async Task Summary_picks_readable_units_and_notes_the_configured_block_size()
    {
        Assert.Equal("40 seconds", PlanFiles.Duration(40));
        Assert.Equal("12.5 minutes", PlanFiles.Duration(750));
        Assert.Equal("5 hours", PlanFiles.Duration(5 * 3600));
        Assert.Equal("6.5 days", PlanFiles.Duration(6.5 * 86400));
        var root = TestDirs.Fresh();
        LaunchFixtures.Tokenizer(root);
        LaunchFixtures.Dataset(root);
        var r = await CliRunner.RunAsync(LaunchFixtures.PaperArgs(root, "--model", "SmolLM2-135M", "--nodes", "1", "--gpus-per-node", "2", "--tokens", "2e6",
            "--global-batch", "8", "--micro-batch", "4", "--seq-length", "256", "--warmup-steps", "10"));
        Assert.True(r.Code == 0, r.Err);
        Assert.DoesNotContain("0 days", r.Out);
        Assert.Contains("seconds**", r.Out);
        Assert.Contains("block_size 256", r.Out);
        Assert.DoesNotContain("block_size 2048", r.Out);
    }

    public static TheoryData<string[], string> ArrayRefusals => new()
    {
        { ["--shards", "0"], "--shards" },
        { ["--throttle", "0"], "--throttle" },
        { ["--stage", "tag/../x"], "--stage" },
        { ["--time", "soon"], "--time" },
        { ["--partition", "cpu\nrm -rf /"], "--partition" },
        { ["--cpus-per-task", "-2"], "--cpus-per-task" },
        { ["--mem", "8 G"], "--mem" },
        { ["--job-name", "x|y"], "--job-name" },
    };

    [Theory]
    [MemberData(nameof(ArrayRefusals))]
    public async Task Slurm_array_refuses_bad_values_with_exit_2_and_writes_nothing(string[] extra, string option)
    {
        var dir = TestDirs.Fresh();
        var args = new List<string> { "slurm", "array", "--stage", "tag", "--shards", "2", "--out", dir };
        for (var i = 0; i < extra.Length; i += 2)
        {
            var at = args.IndexOf(extra[i]);
            if (at >= 0) args[at + 1] = extra[i + 1];
            else args.AddRange([extra[i], extra[i + 1]]);
        }
        var r = await CliRunner.RunAsync([.. args, "--", "safetynb", "tag", "--input", "in", "--output", "out"]);
        Assert.Equal(2, r.Code);
        Assert.Contains(option, r.Err);
        Assert.DoesNotContain("Exception", r.Err);
        Assert.Empty(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Slurm_array_refuses_a_command_that_sets_its_own_shard_or_none_at_all()
    {
        var dir = TestDirs.Fresh();
        var own = await CliRunner.RunAsync("slurm", "array", "--stage", "tag", "--out", dir, "--", "safetynb", "tag", "--num-shards=4");
        Assert.Equal(2, own.Code);
        Assert.Contains("--num-shards=4", own.Err);
        var none = await CliRunner.RunAsync("slurm", "array", "--stage", "tag", "--out", dir);
        Assert.Equal(2, none.Code);
        Assert.Contains("after --", none.Err);
    }

    [Fact]
    public async Task Array_task_runs_the_stage_command_with_its_arguments_intact_and_its_shard()
    {
        var dir = TestDirs.Fresh();
        string[] tricky = ["a b", "it's", "$(touch pwned)", "`id`", "line1\nline2", "\\", "*", "--x=\"q\""];
        var r = await CliRunner.RunAsync(["slurm", "array", "--stage", "probe", "--shards", "3", "--throttle", "2", "--out", dir, "--json", "--", "printf", "%s\\n", .. tricky]);
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var script = doc.RootElement.GetProperty("script").GetString()!;
        var text = File.ReadAllText(script);
        Assert.Contains("#SBATCH --array=0-2%2\n", text);
        Assert.Contains($"#SBATCH --output={Path.Combine(dir, "logs")}/%x-%A_%a.out\n", text);
        Assert.Contains("#SBATCH --open-mode=append\n", text);
        var psi = new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, WorkingDirectory = dir };
        psi.Environment["SLURM_ARRAY_TASK_ID"] = "1";
        psi.Environment["SLURM_ARRAY_JOB_ID"] = "7";
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        var printed = output.Split('\n').Skip(1).ToList(); // the first line is the task banner
        Assert.Equal([.. tricky.SelectMany(t => t.Split('\n')), "--shard-index", "1", "--num-shards", "3", ""], printed);
        Assert.False(File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "pwned")));
    }

    [Fact]
    public async Task Submit_json_reports_a_refusal_as_a_structured_error()
    {
        var r = await CliRunner.RunAsync("launch", "submit", "--plan", TestDirs.Fresh(), "--json");
        Assert.Equal(2, r.Code);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.False(doc.RootElement.GetProperty("submitted").GetBoolean());
        Assert.Contains("not a plan folder", doc.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public void Scontrol_and_jobcomp_records_are_read()
    {
        const string show = "JobId=12 JobName=safelm UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=2 BatchFlag=1 ExitCode=2:0 RunTime=00:00:03 TimeLimit=00:20:00 StdOut=/p/slurm/safelm-12.out";
        var job = Assert.Single(SlurmJobs.ParseScontrol(show + "\n"));
        Assert.Equal(("12", "safelm", "FAILED", "NonZeroExitCode", "2:0", 2, "00:00:03", "/p/slurm/safelm-12.out"), (job.JobId, job.Name, job.State, job.Reason, job.ExitCode, job.Restarts, job.Elapsed, job.Log));
        Assert.True(job.Failed);
        Assert.Equal("job 12 (safelm): FAILED (reason NonZeroExitCode, exit code 2:0), 2 requeues, elapsed 00:00:03", LaunchStatus.Describe(new JobStatus("12", job, null)));
        string[] comp =
        [
            "JobId=12 UserId=root(0) GroupId=root(0) Name=safelm JobState=RUNNING Partition=debug StartTime=2026-12-04T19:20:36 EndTime=Unknown ExitCode=0:0",
            "JobId=12 UserId=root(0) GroupId=root(0) Name=safelm JobState=COMPLETED Partition=debug StartTime=2026-12-04T19:20:36 EndTime=2026-12-04T19:21:39 ExitCode=0:0",
        ];
        var done = SlurmJobs.ParseJobComp(comp, "12")!;
        Assert.Equal(("COMPLETED", "00:01:03", "jobcomp"), (done.State, done.Elapsed, done.Source));
        Assert.Null(SlurmJobs.ParseJobComp(comp, "1"));
        Assert.Equal("/var/x.txt", SlurmJobs.JobCompFile("JobCompLoc              = /var/x.txt\nJobCompType             = jobcomp/filetxt\n"));
        Assert.Null(SlurmJobs.JobCompFile("JobCompType             = jobcomp/none\n"));
        var acct = SlurmJobs.ParseSacct("12|safelm|PREEMPTED|None|0:15|00:10:00|/p/x.out\n12|safelm|CANCELLED by 0|None|0:15|00:01:02|/p/x.out\n")!;
        Assert.Equal(("12", "CANCELLED", 1, "00:01:02", "sacct"), (acct.JobId, acct.State, acct.Restarts, acct.Elapsed, acct.Source));
        Assert.Null(SlurmJobs.ParseSacct(""));
    }
}
