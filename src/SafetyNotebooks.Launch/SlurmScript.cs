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
        var config = Path.Combine(Path.GetFullPath(planDir), "pretrain.yaml");
        var logs = Path.Combine(Path.GetFullPath(planDir), "slurm");
        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        sb.Append($"# {plan.Shape.Name} on {r.Nodes} × {r.GpusPerNode} {r.Gpu.ToUpperInvariant()}, {plan.Batch.TokensTrained:N0} tokens; written by safetynb {Toolkit.Version}\n");
        sb.Append($"#SBATCH --job-name={r.JobName}\n");
        sb.Append($"#SBATCH --nodes={r.Nodes}\n");
        sb.Append($"#SBATCH --ntasks-per-node={r.GpusPerNode}\n");
        sb.Append($"#SBATCH --gpus-per-node={r.GpusPerNode}\n");
        sb.Append($"#SBATCH --cpus-per-task={r.DataWorkers + 4}\n");
        sb.Append("#SBATCH --mem=0\n");
        sb.Append("#SBATCH --exclusive\n");
        sb.Append($"#SBATCH --time={r.TimeLimit}\n");
        if (r.Partition is not null) sb.Append($"#SBATCH --partition={r.Partition}\n");
        if (r.Account is not null) sb.Append($"#SBATCH --account={r.Account}\n");
        sb.Append("#SBATCH --requeue\n");
        sb.Append("#SBATCH --signal=B:USR1@600\n");
        sb.Append($"#SBATCH --output={logs}/%x-%j.out\n");
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
        sb.Append("# Ten minutes before the time limit SLURM signals the batch shell, which requeues the job; preempted jobs are\n");
        sb.Append("# requeued by --requeue. Either way the next run resumes from the newest checkpoint (resume: auto).\n");
        sb.Append("requeue() { echo \"requeueing $SLURM_JOB_ID\"; scontrol requeue \"$SLURM_JOB_ID\"; }\n");
        sb.Append("trap requeue USR1\n");
        sb.Append('\n');
        sb.Append($"srun litgpt pretrain --config {Quote(config)} &\n");
        sb.Append("wait $!\n");
        return sb.ToString();
    }

    /// <summary>Single-quotes a path for bash.</summary>
    public static string Quote(string s) => s.All(c => char.IsLetterOrDigit(c) || "/._-+=:,@".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
