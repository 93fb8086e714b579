namespace SafetyNotebooks.Launch;

/// <summary>What SLURM says of a plan's job; <paramref name="Note"/> explains a missing <paramref name="Job"/>.</summary>
public sealed record JobStatus(string JobId, SlurmJob? Job, string? Note);

/// <summary>The SLURM half of <c>safetynb launch status</c>: the plan's job, its log, and a one-line description.</summary>
public static class LaunchStatus
{
    /// <summary>
    /// The job given, else the plan's newest submission; null when neither exists. Without SLURM's clients a job
    /// named with <paramref name="jobId"/> is an error, the plan's own record only a note.
    /// </summary>
    public static async Task<JobStatus?> JobAsync(string planDir, string? jobId, CancellationToken ct = default)
    {
        var id = jobId ?? Submission.LastJobId(planDir);
        if (id is null) return null;
        if (SlurmClient.Find("scontrol") is null)
            return jobId is not null
                ? throw new BadInputException("scontrol is not on PATH: run this on a SLURM login node", "--job", value: jobId)
                : new JobStatus(id, null, "scontrol is not on PATH, so SLURM was not asked about it");
        var job = await SlurmJobs.FindAsync(id, ct: ct);
        return new JobStatus(id, job, job is null ? "SLURM has no record of it (neither scontrol nor the completion log)" : null);
    }

    /// <summary>The job's log: SLURM's StdOut path, else the plan's slurm/NAME-ID.out.</summary>
    public static string LogOf(string planDir, SlurmJob job) =>
        job.Log ?? SlurmScript.LogPath(planDir, job.Name ?? (File.Exists(Path.Combine(planDir, PlanFiles.PlanJson)) ? PlanFiles.Read(planDir).Request.JobName : "safelm"), job.JobId);

    /// <summary>The last <paramref name="lines"/> lines of a log, or none when it does not exist.</summary>
    public static IReadOnlyList<string> LogTail(string path, int lines)
    {
        if (!File.Exists(path)) return [];
        var queue = new Queue<string>(lines);
        foreach (var line in File.ReadLines(path))
        {
            if (queue.Count == lines) queue.Dequeue();
            queue.Enqueue(line);
        }
        return [.. queue];
    }

    /// <summary>Pure: " (reason X, exit code N:S)" for a job that has them.</summary>
    public static string Why(SlurmJob j)
    {
        var parts = new List<string>();
        if (j.Reason is not null) parts.Add($"reason {j.Reason}");
        if (j.ExitCode is not null && j.ExitCode != "0:0") parts.Add($"exit code {j.ExitCode}");
        return parts.Count == 0 ? "" : $" ({string.Join(", ", parts)})";
    }

    /// <summary>Pure: "job 12 (safelm): RUNNING, 1 requeue, elapsed 00:05:00" and the like.</summary>
    public static string Describe(JobStatus s)
    {
        if (s.Job is not { } j) return $"job {s.JobId}: {s.Note}";
        var text = $"job {j.JobId}{(j.Name is null ? "" : $" ({j.Name})")}: {j.State}{Why(j)}";
        if (j.Restarts > 0) text += $", {j.Restarts} requeue{(j.Restarts == 1 ? "" : "s")}";
        if (j.Elapsed is not null) text += $", elapsed {j.Elapsed}";
        return text;
    }
}
