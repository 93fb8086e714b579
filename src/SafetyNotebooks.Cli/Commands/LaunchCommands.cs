using System.CommandLine;
using System.Globalization;
using SafetyNotebooks.Launch;
using SafetyNotebooks.Reporting;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb launch plan|submit|status</c>: multi-node LitGPT pretraining (PRETRAINING.md).</summary>
public static class LaunchCommands
{
    public static Command Build()
    {
        var command = new Command("launch", "Plan, submit and monitor multi-node LitGPT pretraining on SLURM");
        command.Subcommands.Add(Plan());
        command.Subcommands.Add(Submit());
        command.Subcommands.Add(Status());
        command.Subcommands.Add(Cancel());
        return command;
    }

    static Option<T> Opt<T>(string name, string description, T? fallback = default, bool required = false) =>
        fallback is null ? new(name) { Description = description, Required = required }
                         : new(name) { Description = description, DefaultValueFactory = _ => fallback, Required = required };

    static Command Plan()
    {
        var engine = Opt("--engine", "training engine", "litgpt");
        var model = Opt<string>("--model", "SmolLM2-1.7B | SmolLM2-360M | SmolLM2-135M", required: true);
        var nodes = Opt("--nodes", "nodes", 4);
        var gpus = Opt("--gpus-per-node", "GPUs per node", 8);
        var tokens = Opt<string>("--tokens", "token budget, e.g. 600e9", required: true);
        var data = Opt<string>("--data", "LitData optimized dataset folder (index.json, or train/ and val/)", required: true);
        var tokenizer = Opt<string>("--tokenizer", "Hugging Face tokenizer folder (tokenizer.json)", required: true);
        var outDir = Opt<string>("--out", "plan folder to write", required: true);
        var tag = Opt<string?>("--tag", "harmfulness tag string; adds one vocabulary id when the tokenizer lacks it");
        var gpu = Opt("--gpu", "h100 | h200 | a100", "h100");
        var mfu = Opt("--mfu", "assumed model FLOPs utilisation", 0.4);
        var globalBatch = Opt("--global-batch", "sequences per optimizer step", 1024);
        var microBatch = Opt("--micro-batch", "sequences per GPU per forward pass", 8);
        var seq = Opt("--seq-length", "tokens per sequence", 2048);
        var warmup = Opt("--warmup-steps", "linear warmup steps", 2000);
        var save = Opt("--save-interval", "optimizer steps between checkpoints", 1000);
        var logger = Opt("--logger", "csv | tensorboard | wandb | mlflow | litlogger", "csv");
        var time = Opt("--time", "SLURM time limit per job (the job requeues itself)", "2-00:00:00");
        var partition = Opt<string?>("--partition", "SLURM partition");
        var account = Opt<string?>("--account", "SLURM account");
        var jobName = Opt("--job-name", "SLURM job name", "safelm");
        var cpus = Opt("--cpus-per-task", "CPUs per GPU task (LitData's 8 loader workers + 4 by default)", 12);
        var mem = Opt("--mem", "memory per node (SLURM size such as 500G; 0 = all of it)", "0");
        var margin = Opt("--requeue-margin", "seconds before the time limit at which the job requeues itself", 600);
        var phases = Opt<string?>("--mix-manifest", "mix-manifest.json of a curriculum: one LitGPT stage per phase (--data is then the folder of the phases' LitData folders), each later stage starting from the previous one's final checkpoint");
        var command = new Command("plan", "Write pretrain.yaml, launch.sbatch, plan.json and summary.md for a LitGPT run")
        {
            engine, model, nodes, gpus, tokens, data, tokenizer, outDir, tag, gpu, mfu, globalBatch, microBatch, seq, warmup, save,
            logger, time, partition, account, jobName, cpus, mem, margin, phases, Cli.JsonOption,
        };
        command.SetHandler((parse, output) =>
        {
            var tokenText = parse.GetValue(tokens)!;
            if (!double.TryParse(tokenText, NumberStyles.Float, CultureInfo.InvariantCulture, out var tokenCount))
                throw new BadInputException("expected a number of tokens such as 600e9", "--tokens", value: tokenText);
            var request = new PretrainRequest(parse.GetValue(model)!, parse.GetValue(nodes), parse.GetValue(gpus), tokenCount,
                parse.GetValue(data)!, parse.GetValue(tokenizer)!, parse.GetValue(outDir)!, parse.GetValue(tag), parse.GetValue(gpu)!,
                parse.GetValue(mfu), parse.GetValue(engine)!, parse.GetValue(globalBatch), parse.GetValue(microBatch), parse.GetValue(seq),
                parse.GetValue(warmup), SaveInterval: parse.GetValue(save), Logger: parse.GetValue(logger)!, TimeLimit: parse.GetValue(time)!,
                Partition: parse.GetValue(partition), Account: parse.GetValue(account), JobName: parse.GetValue(jobName)!,
                CpusPerTask: parse.GetValue(cpus), Memory: parse.GetValue(mem)!, RequeueMarginSeconds: parse.GetValue(margin));
            if (request.SaveInterval < 1) throw new BadInputException("must be at least 1", "--save-interval", value: request.SaveInterval.ToString());
            if (parse.GetValue(phases) is { } manifest) return WritePhases(PhasedPlans.Plan(request, manifest, request.DataDir), parse.GetValue(Cli.JsonOption), output);
            var plan = PretrainPlanner.Plan(request);
            var files = PlanFiles.Write(plan);
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(output, new { files, plan.Batch, plan.Compute, plan.Storage, plan.Vocabulary, plan.Notes });
            else
            {
                output.Write(PlanFiles.Summarize(plan));
                output.WriteLine();
                foreach (var f in files) output.WriteLine($"wrote {f}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    // one plan folder per phase, in order; each is submitted after the previous one finishes (sbatch --dependency=afterok)
    static int WritePhases(IReadOnlyList<PretrainPlan> plans, bool json, TextWriter output)
    {
        var files = plans.Select(PlanFiles.Write).ToList();
        if (json)
            Cli.WriteJson(output, plans.Select((p, k) => new { stage = k + 1, plan = p.Request.OutDir, tokens = (long)p.Request.Tokens, data = p.Request.DataDir, initial_checkpoint_dir = p.Request.InitialCheckpointDir, files = files[k] }));
        else
            foreach (var (p, k) in plans.Select((p, k) => (p, k)))
                output.WriteLine($"stage {k + 1}: {(long)p.Request.Tokens:N0} tokens on {p.Request.DataDir}{(p.Request.InitialCheckpointDir is { } i ? $", from {i}" : "")} → {p.Request.OutDir}");
        return ExitCodes.Ok;
    }

    static Command Submit()
    {
        var plan = Opt<string>("--plan", "plan folder written by `launch plan`", required: true);
        var dryRun = Opt("--dry-run", "print the commands without running sbatch", false);
        var command = new Command("submit", "Submit a plan with sbatch (or print the exact commands when SLURM is absent)") { plan, dryRun, Cli.JsonOption };
        command.SetHandler(async (parse, output, ct) =>
        {
            var json = parse.GetValue(Cli.JsonOption);
            SubmitResult r;
            try { r = await Submission.SubmitAsync(parse.GetValue(plan)!, parse.GetValue(dryRun), ct: ct); }
            catch (BadInputException e) when (json)
            {
                Cli.WriteJson(output, new { submitted = false, error = e.Message });
                return ExitCodes.BadInput;
            }
            if (json) Cli.WriteJson(output, r);
            else if (r.Submitted) output.WriteLine($"submitted job {r.JobId ?? "(id not reported)"} with {r.SbatchPath}");
            else
            {
                output.WriteLine($"# {r.Output}");
                foreach (var c in r.Commands) output.WriteLine(c);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    static readonly Option<string?> JobOption = new("--job") { Description = "SLURM job id [default: the plan's newest submission]" };

    static Command Status()
    {
        var dir = Opt<string>("--out", "plan folder (or LitGPT out_dir) to read logs from", required: true);
        var html = Opt<string?>("--html", "chart file to write [default: OUT/status.html]");
        var tail = Opt("--log-lines", "lines of the job's log shown when it failed", 20);
        var command = new Command("status", "The job's SLURM state (failed jobs exit 1 with their reason and log), then LitGPT's loss and throughput")
        {
            dir, JobOption, html, tail, Cli.JsonOption,
        };
        command.SetHandler(async (parse, output, ct) =>
        {
            var root = parse.GetValue(dir)!;
            if (!Directory.Exists(root)) throw new BadInputException("folder does not exist", "--out", value: root);
            var lines = SbatchValues.Positive(parse.GetValue(tail), "--log-lines");
            var job = await LaunchStatus.JobAsync(root, parse.GetValue(JobOption), ct);
            var logTail = job?.Job is { Failed: true } failed ? LaunchStatus.LogTail(LaunchStatus.LogOf(root, failed), lines) : [];
            var status = TrainingMetrics.Read(root);
            PretrainPlan? plan = File.Exists(Path.Combine(root, PlanFiles.PlanJson)) ? PlanFiles.Read(root) : null;
            var last = status.Last;
            double? progress = plan is not null && last?.TotalTokens is { } t ? t / plan.Batch.TokensTrained : null;
            double? etaDays = plan is not null && progress is { } pr && status.MeanTokensPerSecondPerGpu is { } tps
                ? (1 - pr) * plan.Batch.TokensTrained / (tps * plan.Batch.WorldSize) / 86400 : null;
            double? mfu = plan is not null && status.MeanTokensPerSecondPerGpu is { } rate
                ? ComputeMath.Mfu(rate, plan.Compute.PeakFlopsPerGpu, plan.Compute.FlopsPerToken) : null;
            string? chartPath = null;
            if (status.Points.Count > 0)
            {
                chartPath = parse.GetValue(html) ?? Path.Combine(root, "status.html");
                var page = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>training status</title>" + Charts.PlotlyJsScript() + "</head><body>" +
                           Charts.ToFragment(LossChart.Of(status)) + Charts.ToFragment(LossChart.Throughput(status)) + "</body></html>";
                AtomicFile.WriteAllText(chartPath, page);
            }
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(output, new { job = job?.Job, job_note = job?.Note, log_tail = logTail, status.Files, points = status.Points.Count, last, status.LastLoss, status.LastValLoss, tokens_per_second_per_gpu = status.MeanTokensPerSecondPerGpu, measured_mfu = mfu, progress, eta_days = etaDays, chart = chartPath });
            else
            {
                if (job is not null) output.WriteLine(LaunchStatus.Describe(job));
                if (logTail.Count > 0)
                {
                    output.WriteLine($"last {logTail.Count} lines of {LaunchStatus.LogOf(root, job!.Job!)}:");
                    foreach (var line in logTail) output.WriteLine("  " + line);
                }
                if (status.Points.Count == 0)
                    output.WriteLine($"no LitGPT metrics yet under {root} (looked for metrics.csv and *.jsonl; the CSV logger writes out_dir/logs/csv/version_*/metrics.csv)");
                else
                {
                    output.WriteLine($"step {last!.Step:N0}: loss {status.LastLoss:0.####}{(status.LastValLoss is { } v ? $", val loss {v:0.####}" : "")}");
                    if (status.MeanTokensPerSecondPerGpu is { } r) output.WriteLine($"throughput {r:N0} tokens/s per GPU{(mfu is { } m ? $" ({100 * m:0.#}% MFU)" : "")}");
                    if (progress is { } p) output.WriteLine($"progress {100 * p:0.##}% of {plan!.Batch.TokensTrained:N0} tokens{(etaDays is { } e ? $", about {PlanFiles.Duration(e * 86400)} left" : "")}");
                    output.WriteLine($"charts: {chartPath}");
                }
            }
            if (job?.Job is { Failed: true } j)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: job {j.JobId} {j.State}{LaunchStatus.Why(j)}");
                return ExitCodes.Failure;
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Cancel()
    {
        var dir = Opt<string>("--out", "plan folder whose newest submission is cancelled", required: true);
        var command = new Command("cancel", "Cancel the plan's job with scancel") { dir, JobOption, Cli.JsonOption };
        command.SetHandler(async (parse, output, ct) =>
        {
            var root = parse.GetValue(dir)!;
            var id = parse.GetValue(JobOption) ?? Submission.LastJobId(root)
                ?? throw new BadInputException("no job was submitted from this plan (no submissions.log); give --job", "--out", value: root);
            await SlurmJobs.CancelAsync(id, ct: ct);
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, new { cancelled = id });
            else output.WriteLine($"cancelled job {id}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>safetynb experiment pretraining</c> (notebook 05): the paper's compute plan and launch files.</summary>
    public static Command Experiment()
    {
        var mfu = Opt("--mfu", "assumed model FLOPs utilisation", 0.4);
        var gpu = Opt("--gpu", "h100 | h200 | a100", "h100");
        var outDir = Opt<string?>("--out", "plan folder [default: a fresh temporary folder]");
        var command = new Command("pretraining", "The paper's pretraining run planned for LitGPT on 4 × 8 GPUs: compute, config, SLURM script (notebook 05)") { mfu, gpu, outDir, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var r = SafetyNotebooks.Experiments.Pretraining(new SafetyNotebooks.Experiments.PretrainingOptions(Gpu: parse.GetValue(gpu)!, Mfu: parse.GetValue(mfu), OutDir: parse.GetValue(outDir)));
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, new { r.Files, r.Plan.Batch, r.Plan.Compute, r.Plan.Storage });
            else
            {
                output.Write(r.Summary);
                foreach (var f in r.Files) output.WriteLine($"wrote {f}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
