using System.Globalization;
using System.Text;

namespace SafetyNotebooks.Launch;

/// <summary>
/// A data stage as a SLURM array job: <paramref name="Shards"/> tasks, at most <paramref name="Throttle"/> running at
/// once, task i running <paramref name="Command"/> with <c>--shard-index i --num-shards Shards</c>. Every sharded
/// stage splits its input files by index and skips outputs it already finished, so the union of the tasks is the
/// one-process output, and a cancelled array resumes when submitted again.
/// </summary>
public sealed record ArrayRequest(
    string Stage,
    IReadOnlyList<string> Command,
    int Shards,
    int? Throttle,
    SbatchResources Resources,
    string OutDir,
    string WorkingDirectory);

/// <summary>Pure: the array script of a data stage.</summary>
public static class SlurmArray
{
    /// <summary>Options a task gets from the array; the stage command must not set them itself.</summary>
    public static readonly string[] ShardOptions = ["--shard-index", "--num-shards"];

    public static string ScriptPath(ArrayRequest r) => Path.Combine(Path.GetFullPath(r.OutDir), $"{r.Stage}.sbatch");

    public static string LogDir(ArrayRequest r) => Path.Combine(Path.GetFullPath(r.OutDir), "logs");

    /// <summary>The log of task <paramref name="task"/> of array job <paramref name="jobId"/>.</summary>
    public static string TaskLog(ArrayRequest r, string jobId, int task) => Path.Combine(LogDir(r), $"{r.Resources.JobName}-{jobId}_{task}.out");

    /// <summary>Refuses requests whose values are unsafe in a script or meaningless to SLURM.</summary>
    public static ArrayRequest Check(ArrayRequest r)
    {
        SbatchValues.Name(r.Stage, "--stage");
        SbatchValues.Check(r.Resources);
        SbatchValues.Positive(r.Shards, "--shards");
        if (r.Throttle is { } k) SbatchValues.Positive(k, "--throttle");
        if (r.Command.Count == 0)
            throw new BadInputException("give the stage's command after --, e.g. `-- safetynb tag --input in --output out`", "--");
        if (r.Command.FirstOrDefault(a => ShardOptions.Any(o => a == o || a.StartsWith(o + "=", StringComparison.Ordinal))) is { } clash)
            throw new BadInputException("the array sets --shard-index and --num-shards for each task; leave them out of the stage command", "--", value: clash);
        if (r.Command.FirstOrDefault(a => a.Contains('\0')) is { } nul)
            throw new BadInputException("an argument holds a NUL character", "--", value: nul.Replace("\0", "\\0"));
        SbatchValues.LinePath(LogDir(r), "--out");
        return r;
    }

    public static string Build(ArrayRequest request)
    {
        var r = Check(request);
        var h = r.Resources;
        var last = (r.Shards - 1).ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        sb.Append(SlurmScript.Comment($"{r.Stage}: {r.Shards} shard{(r.Shards == 1 ? "" : "s")} as one SLURM array; written by safetynb {Toolkit.Version}"));
        sb.Append($"#SBATCH --job-name={h.JobName}\n");
        sb.Append($"#SBATCH --array=0-{last}{(r.Throttle is { } k ? $"%{k}" : "")}\n");
        sb.Append("#SBATCH --ntasks=1\n");
        sb.Append($"#SBATCH --cpus-per-task={h.CpusPerTask}\n");
        if (h.Memory is not null) sb.Append($"#SBATCH --mem={h.Memory}\n");
        sb.Append($"#SBATCH --time={h.TimeLimit}\n");
        if (h.Partition is not null) sb.Append($"#SBATCH --partition={h.Partition}\n");
        if (h.Account is not null) sb.Append($"#SBATCH --account={h.Account}\n");
        sb.Append("#SBATCH --requeue\n");
        sb.Append($"#SBATCH --output={Path.Combine(LogDir(r), "%x-%A_%a.out")}\n");
        sb.Append("#SBATCH --open-mode=append\n");
        sb.Append('\n');
        sb.Append("set -euo pipefail\n");
        sb.Append("# Relative paths in the command are those of the folder the script was written from.\n");
        sb.Append($"cd -- {SlurmScript.Quote(r.WorkingDirectory)}\n");
        sb.Append("echo \"task $SLURM_ARRAY_TASK_ID of " + r.Shards + " (job ${SLURM_ARRAY_JOB_ID}) on $(hostname) at $(date -u +%FT%TZ)\"\n");
        sb.Append("# A finished shard's outputs are skipped when the array runs again (after scancel, a requeue or a failure).\n");
        sb.Append(string.Join(" ", r.Command.Select(SlurmScript.Quote)));
        sb.Append($" --shard-index \"$SLURM_ARRAY_TASK_ID\" --num-shards {r.Shards}\n");
        return sb.ToString();
    }
}
