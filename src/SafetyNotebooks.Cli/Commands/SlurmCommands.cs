using System.CommandLine;
using SafetyNotebooks.Launch;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb slurm array</c>: a sharded data stage (tag, data convert, score, …) as one SLURM array job.</summary>
public static class SlurmCommands
{
    public static Command Build()
    {
        var command = new Command("slurm", "Run data stages on a SLURM cluster");
        command.Subcommands.Add(Array());
        command.Subcommands.Add(Status());
        return command;
    }

    static Command Status()
    {
        var job = new Option<string>("--job") { Description = "the array's job id (printed by `slurm array --submit`)", Required = true };
        var command = new Command("status", "State of every task of an array job; exit 1 when a task ended without completing") { job, Cli.JsonOption };
        command.SetHandler(async (parse, output, ct) =>
        {
            var id = parse.GetValue(job)!;
            var tasks = await SlurmJobs.TasksAsync(id, ct: ct);
            if (tasks.Count == 0) throw new BadInputException("SLURM's controller has no record of this job (finished long ago, or never submitted)", "--job", value: id);
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, new { job = id, tasks });
            else foreach (var t in tasks) output.WriteLine(LaunchStatus.Describe(new JobStatus(t.JobId, t, null)));
            var failed = tasks.Where(t => t.Failed).ToList();
            if (failed.Count == 0) return ExitCodes.Ok;
            parse.InvocationConfiguration.Error.WriteLine($"error: {failed.Count} task(s) of job {id} ended without completing: {string.Join(", ", failed.Select(t => $"{t.JobId} {t.State}"))}; " +
                                                          "submit the array again to redo them (finished shards are skipped)");
            return ExitCodes.Failure;
        });
        return command;
    }

    static Command Array()
    {
        var stage = new Option<string>("--stage") { Description = "the stage's name (used for the script, job and log names), e.g. tag", Required = true };
        var shards = new Option<int>("--shards") { Description = "array tasks, one shard of the input files each", DefaultValueFactory = _ => 1 };
        var throttle = new Option<int?>("--throttle") { Description = "at most this many tasks running at once (%K)" };
        var time = new Option<string>("--time") { Description = "time limit per task (D-HH:MM:SS, HH:MM:SS, MM:SS or minutes)", DefaultValueFactory = _ => "04:00:00" };
        var mem = new Option<string?>("--mem") { Description = "memory per task, e.g. 8G [default: the partition's]" };
        var cpus = new Option<int>("--cpus-per-task") { Description = "CPUs per task (pass the stage its --threads to match)", DefaultValueFactory = _ => 1 };
        var partition = new Option<string?>("--partition") { Description = "SLURM partition" };
        var account = new Option<string?>("--account") { Description = "SLURM account" };
        var jobName = new Option<string?>("--job-name") { Description = "SLURM job name [default: safetynb-STAGE]" };
        var outDir = new Option<string?>("--out") { Description = "folder for STAGE.sbatch and logs/ [default: slurm/STAGE]" };
        var submit = new Option<bool>("--submit") { Description = "submit the script with sbatch after writing it" };
        var stageCommand = new Argument<string[]>("COMMAND") { Description = "after --: the stage's command, without --shard-index/--num-shards", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("array", "Write (and with --submit submit) an array script: task i runs the stage command with --shard-index i --num-shards N")
        {
            stage, shards, throttle, time, mem, cpus, partition, account, jobName, outDir, submit, Cli.JsonOption, stageCommand,
        };
        command.SetHandler(async (parse, output, ct) =>
        {
            var name = SbatchValues.Name(parse.GetValue(stage)!, "--stage");
            var request = SlurmArray.Check(new ArrayRequest(name, parse.GetValue(stageCommand) ?? [], parse.GetValue(shards), parse.GetValue(throttle),
                new SbatchResources(parse.GetValue(jobName) ?? $"safetynb-{name}", parse.GetValue(time)!, parse.GetValue(partition), parse.GetValue(account),
                    parse.GetValue(cpus), parse.GetValue(mem)),
                parse.GetValue(outDir) ?? Path.Combine("slurm", name), Directory.GetCurrentDirectory()));
            var script = SlurmArray.ScriptPath(request);
            Directory.CreateDirectory(SlurmArray.LogDir(request));
            AtomicFile.WriteAllText(script, SlurmArray.Build(request));
            string? jobId = null;
            if (parse.GetValue(submit))
            {
                try { (jobId, _) = await Submission.SubmitScriptAsync(script, request.WorkingDirectory, ct: ct); }
                catch (BadInputException e) when (parse.GetValue(Cli.JsonOption))
                {
                    Cli.WriteJson(output, new { script, submitted = false, error = e.Message });
                    return ExitCodes.BadInput;
                }
            }
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(output, new { script, logs = SlurmArray.LogDir(request), shards = request.Shards, job_id = jobId });
            else
            {
                output.WriteLine($"wrote {script}");
                output.WriteLine(jobId is null
                    ? $"submit with: sbatch {SlurmScript.Quote(script)}"
                    : $"submitted array job {jobId} ({request.Shards} tasks); logs: {SlurmArray.LogDir(request)}/{request.Resources.JobName}-{jobId}_<task>.out");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
