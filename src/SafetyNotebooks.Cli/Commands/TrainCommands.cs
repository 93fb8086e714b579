using System.CommandLine;
using SafetyNotebooks.Training;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb train --config FILE.yaml [--resume]</c>: single-device pretraining.</summary>
public static class TrainCommands
{
    public static Command Build()
    {
        var config = new Option<string>("--config") { Description = "Training YAML (model, data, steps, batch_size, seq_len, schedule, device, output, ...)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from the output folder's last checkpoint" };
        var command = new Command("train", "Pretrain a Llama model on one device (CPU or CUDA)") { config, resume, Cli.JsonOption };
        command.SetHandler(async (parse, output, ct) =>
        {
            var job = TrainYaml.Load(parse.GetValue(config)!);
            var json = parse.GetValue(Cli.JsonOption);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int? firstStep = null;
            var result = await TrainJobs.RunAsync(job, parse.GetValue(resume), ct, e =>
            {
                firstStep ??= e.Step - 1;
                var fraction = (double)(e.Step - firstStep.Value) / Math.Max(1, job.Config.Steps - firstStep.Value);
                var eta = ProgressText.EtaSeconds(fraction, clock.Elapsed) is { } s && fraction < 1 ? $"  ETA {ProgressText.Duration(s)}" : "";
                if (json) parse.InvocationConfiguration.Error.WriteLine(TrainEvent(e, job.Config.Steps));
                else output.WriteLine($"step {e.Step}/{job.Config.Steps}  loss {e.Loss:0.0000}  lr {e.Lr:0.####e+0}  grad-norm {e.GradNorm:0.###}  {e.TokensPerSecond:N0} tok/s" + (e.Mfu is { } m ? $"  MFU {m:P1}" : "") + eta);
            });
            var last = result.Log.Count > 0 ? result.Log[^1] : null;
            if (json) Cli.WriteJson(output, new { steps = result.Log.Count, start_step = result.StartStep, final_loss = last?.Loss, checkpoint = result.CheckpointDir, log = Path.Combine(job.Output, Trainer.LogFile) });
            else output.WriteLine($"done: checkpoint {result.CheckpointDir}; log {Path.Combine(job.Output, Trainer.LogFile)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A --json progress event on stderr per logged step, so scripts can follow a long run.</summary>
    public static string TrainEvent(TrainLogEntry e, int steps) =>
        System.Text.Json.JsonSerializer.Serialize(new
        {
            @event = "progress", stage = "train", step = e.Step, steps, fraction = Math.Round((double)e.Step / Math.Max(1, steps), 4),
            loss = e.Loss, lr = e.Lr, grad_norm = e.GradNorm, tokens_per_second = e.TokensPerSecond, mfu = e.Mfu,
        });
}
