using System.Text;

namespace SafetyNotebooks.Launch;

/// <summary>
/// Pure: the SLURM batch script of a plan, in Lightning Fabric's native style (PRETRAINING.md §1.8, §5 A): one task
/// per GPU started by <c>srun</c>, with <c>--nodes</c>/<c>--ntasks-per-node</c> equal to <c>num_nodes</c>/<c>devices</c>.
/// Preemption and time limits requeue the job; <c>resume: auto</c> picks up the newest checkpoint.
/// </summary>
public static class SlurmScript
{
    public static string Build(PretrainPlan plan, string planDir)
    {
        var r = plan.Request;
        var h = SbatchValues.Check(r.Sbatch);
        var config = Path.Combine(Path.GetFullPath(planDir), "pretrain.yaml");
        var logs = Path.Combine(Path.GetFullPath(planDir), "slurm");
        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        sb.Append(Comment($"{plan.Shape.Name} on {r.Nodes} × {r.GpusPerNode} {r.Gpu.ToUpperInvariant()}, {plan.Batch.TokensTrained:N0} tokens; written by safetynb {Toolkit.Version}"));
        sb.Append($"#SBATCH --job-name={h.JobName}\n");
        sb.Append($"#SBATCH --nodes={r.Nodes}\n");
        sb.Append($"#SBATCH --ntasks-per-node={r.GpusPerNode}\n");
        sb.Append($"#SBATCH --gpus-per-node={r.GpusPerNode}\n");
        sb.Append($"#SBATCH --cpus-per-task={h.CpusPerTask}\n");
        sb.Append($"#SBATCH --mem={h.Memory}\n");
        sb.Append("#SBATCH --exclusive\n");
        sb.Append($"#SBATCH --time={h.TimeLimit}\n");
        if (h.Partition is not null) sb.Append($"#SBATCH --partition={h.Partition}\n");
        if (h.Account is not null) sb.Append($"#SBATCH --account={h.Account}\n");
        sb.Append("#SBATCH --requeue\n");
        sb.Append($"#SBATCH --signal=B:USR1@{h.RequeueMarginSeconds}\n");
        sb.Append($"#SBATCH --output={SbatchValues.LinePath(Path.Combine(logs, "%x-%j.out"), "--out")}\n");
        sb.Append("#SBATCH --open-mode=append\n");
        sb.Append('\n');
        sb.Append("set -uo pipefail\n");
        sb.Append("export NCCL_DEBUG=WARN\n");
        sb.Append("export TORCH_NCCL_ASYNC_ERROR_HANDLING=1\n");
        sb.Append("export PYTHONFAULTHANDLER=1\n");
        sb.Append("export OMP_NUM_THREADS=1\n");
        sb.Append("# export NCCL_SOCKET_IFNAME=^docker0,lo   # if NCCL picks the wrong network interface\n");
        sb.Append("# export NCCL_IB_HCA=mlx5               # to pin the InfiniBand adapters\n");
        sb.Append("# MASTER_ADDR/MASTER_PORT: Lightning derives them from SLURM_NODELIST and SLURM_JOB_ID.\n");
        sb.Append('\n');
        sb.Append($"# {h.RequeueMarginSeconds} s before the time limit SLURM signals the batch shell, which requeues the job; preempted jobs are\n");
        sb.Append("# requeued by --requeue. Either way the next run resumes from the newest checkpoint (resume: auto).\n");
        sb.Append("requeue() { echo \"requeueing $SLURM_JOB_ID\"; scontrol requeue \"$SLURM_JOB_ID\"; }\n");
        sb.Append("trap requeue USR1\n");
        sb.Append('\n');
        sb.Append($"srun litgpt pretrain --config {Quote(config)} &\n");
        sb.Append("wait $!\n");
        return sb.ToString();
    }

    /// <summary>A comment line; control characters become spaces so no value can end the comment and start a command.</summary>
    public static string Comment(string text) => "# " + string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c)) + "\n";

    /// <summary>The job's log: one file per job id, appended to by every requeued run of it.</summary>
    public static string LogPath(string planDir, string jobName, string jobId) => Path.Combine(Path.GetFullPath(planDir), "slurm", $"{jobName}-{jobId}.out");

    /// <summary>Single-quotes a path for bash.</summary>
    public static string Quote(string s) => s.All(c => char.IsLetterOrDigit(c) || "/._-+=:,@".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
