using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Training;

/// <summary>One optimizer step of the log (1-based step; loss averaged over the step's micro-batches).</summary>
public sealed record TrainLogEntry(int Step, double Loss, double Lr, double GradNorm, double TokensPerSecond, double? Mfu, long Tokens);

/// <summary>Where and how a run persists: output folder (checkpoints + log.jsonl), resume, cancellation, progress.</summary>
public sealed record TrainRun(string? OutputDir = null, bool Resume = false, CancellationToken Cancellation = default, Action<TrainLogEntry>? OnStep = null, bool Shuffle = true);

public sealed record TrainResult(IReadOnlyList<TrainLogEntry> Log, int StartStep, string? CheckpointDir);

/// <summary>
/// Single-device pretraining loop: blocks of T+1 tokens in a seeded order, next-token cross-entropy, gradient
/// accumulation, global-norm clipping, AdamW over float32 master weights (bfloat16 activations on CUDA), a
/// learning-rate schedule, a JSONL log and atomic checkpoints. Everything a step depends on (weights, moments, step
/// number, and the data order, a pure function of seed and step) is in the checkpoint, so a resumed run continues the
/// same loss curve bit for bit on the CPU.
/// </summary>
public static class Trainer
{
    public const string CheckpointFolder = "checkpoint";
    public const string LogFile = "log.jsonl";

    public static TrainResult Train(LlamaForCausalLM model, TrainConfig config, ITokenSource data, TrainRun? run = null)
    {
        run ??= new TrainRun();
        Validate(model, config, data);
        // bfloat16 activations over the float32 master weights, passed per forward: the caller's model is not reconfigured
        var compute = config.Bf16 && model.Device.type == DeviceType.CUDA ? ScalarType.BFloat16 : ScalarType.Float32;
        model.train();
        var parameters = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
        using var optimizer = new AdamW(parameters);
        var batches = new Batches(data, config, new BlockOrder(data.BlockCount, config.Seed, run.Shuffle), model.Device);
        var (startStep, log) = Start(run, model, optimizer);
        var flopsPerToken = model.Config.TrainFlopsPerToken(config.SequenceLength);

        for (var step = startStep; step < config.Steps; step++)
        {
            run.Cancellation.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            var lr = LearningRates.At(config, step);
            var loss = AccumulateGradients(model, compute, batches, step);
            var gradNorm = ClipGradients(parameters.Select(p => p.Item2), config.ClipNorm);
            optimizer.Update(lr, config.Beta1, config.Beta2, config.Eps, config.WeightDecay);
            if (model.Device.type == DeviceType.CUDA) cuda.synchronize();
            var entry = LogEntry(config, step, loss, lr, gradNorm, sw.Elapsed.TotalSeconds, flopsPerToken);
            log.Add(entry);
            if (run.OutputDir is not null) Persist(run.OutputDir, entry, model, optimizer, config);
            run.OnStep?.Invoke(entry);
        }
        model.eval();
        return new TrainResult(log, startStep, run.OutputDir is null ? null : Path.Combine(run.OutputDir, CheckpointFolder));
    }

    static void Validate(LlamaForCausalLM model, TrainConfig config, ITokenSource data)
    {
        config.Validate();
        if (data.BlockSize != config.SequenceLength + 1)
            throw new BadInputException($"data blocks hold {data.BlockSize} tokens but seq_len + 1 = {config.SequenceLength + 1}", "data", "seq_len");
        if (model.ParameterDType != ScalarType.Float32)
            throw new ArgumentException("training keeps float32 master weights; load or create the model in float32", nameof(model));
    }

    // the step to start from and the log so far: 0 and empty, or the last checkpoint's step and the log up to it
    static (int StartStep, List<TrainLogEntry> Log) Start(TrainRun run, LlamaForCausalLM model, AdamW optimizer)
    {
        var log = new List<TrainLogEntry>();
        var startStep = 0;
        if (run.OutputDir is not null) TrainCheckpoint.RemoveLeftovers(run.OutputDir);
        if (run.Resume)
        {
            if (run.OutputDir is null) throw new BadInputException("resume needs an output folder", "output");
            startStep = TrainCheckpoint.TryLoad(run.OutputDir, model, optimizer);
            log.AddRange(ReadLog(run.OutputDir).Where(e => e.Step <= startStep));
        }
        if (run.OutputDir is not null) RewriteLog(run.OutputDir, log);
        return (startStep, log);
    }

    /// <summary>The micro-batches of a run: a pure function of the step and micro-batch index (through the seeded block order).</summary>
    sealed record Batches(ITokenSource Data, TrainConfig Config, BlockOrder Order, Device Device)
    {
        public Tensor At(int step, int micro)
        {
            var first = ((long)step * Config.GradAccumulation + micro) * Config.BatchSize;
            var rows = Enumerable.Range(0, Config.BatchSize).SelectMany(b => Data.Block(Order.BlockAt(first + b))).ToArray();
            return tensor(rows, dtype: ScalarType.Int64).view(Config.BatchSize, Data.BlockSize).to(Device);
        }
    }

    // zeroes the gradients and accumulates one step's micro-batches into them; the mean loss over the micro-batches
    static double AccumulateGradients(LlamaForCausalLM model, ScalarType compute, Batches batches, int step)
    {
        var micros = batches.Config.GradAccumulation;
        model.zero_grad();
        double lossSum = 0;
        for (var micro = 0; micro < micros; micro++)
        {
            using var scope = NewDisposeScope();
            var loss = NextTokenLoss(batches.At(step, micro), x => model.Forward(x, compute));
            (loss / micros).backward();
            lossSum += loss.item<float>();
        }
        return lossSum / micros;
    }

    // throughput, and MFU when the device's peak FLOP/s is known
    static TrainLogEntry LogEntry(TrainConfig config, int step, double loss, double lr, double gradNorm, double seconds, double flopsPerToken)
    {
        var tokensPerSecond = config.TokensPerStep / Math.Max(seconds, 1e-9);
        return new TrainLogEntry(step + 1, loss, lr, gradNorm, tokensPerSecond,
            config.PeakFlops is { } peak ? flopsPerToken * tokensPerSecond / peak : null, (long)(step + 1) * config.TokensPerStep);
    }

    // the log line of every step; a checkpoint every CheckpointEvery steps and after the last
    static void Persist(string outputDir, TrainLogEntry entry, LlamaForCausalLM model, AdamW optimizer, TrainConfig config)
    {
        AppendLog(outputDir, entry);
        var last = entry.Step == config.Steps;
        if ((config.CheckpointEvery > 0 && entry.Step % config.CheckpointEvery == 0) || last)
            TrainCheckpoint.Save(outputDir, model, optimizer, entry.Step, config);
    }

    /// <summary>Mean next-token cross-entropy of blocks [B, T+1] (float32 logits).</summary>
    public static Tensor NextTokenLoss(ICausalLanguageModel model, Tensor blocks) => NextTokenLoss(blocks, x => model.Forward(x));

    static Tensor NextTokenLoss(Tensor blocks, Func<Tensor, Tensor> forward)
    {
        using var scope = NewDisposeScope();
        var t = blocks.shape[1] - 1;
        var inputs = blocks[TensorIndex.Colon, TensorIndex.Slice(0, t)];
        var targets = blocks[TensorIndex.Colon, TensorIndex.Slice(1, t + 1)];
        var logits = forward(inputs);
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>Global L2 norm of the gradients (before clipping); scales them to <paramref name="maxNorm"/> as torch's clip_grad_norm_ does.</summary>
    public static double ClipGradients(IEnumerable<Tensor> parameters, double? maxNorm)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        var total = stack(grads.Select(g => g.to_type(ScalarType.Float32).norm()).ToArray()).norm();
        var norm = total.item<float>();
        if (maxNorm is { } max && max > 0)
        {
            var coef = (max / (total + 1e-6)).clamp_max(1.0);
            foreach (var g in grads) g.mul_(coef.to_type(g.dtype));
        }
        return norm;
    }

    static void AppendLog(string dir, TrainLogEntry e) =>
        File.AppendAllText(Path.Combine(dir, LogFile), JsonSerializer.Serialize(e, LogJson) + "\n");

    static void RewriteLog(string dir, IEnumerable<TrainLogEntry> entries)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, LogFile), string.Concat(entries.Select(e => JsonSerializer.Serialize(e, LogJson) + "\n")));
    }

    static readonly JsonSerializerOptions LogJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The JSONL log of a run folder.</summary>
    public static IReadOnlyList<TrainLogEntry> ReadLog(string dir)
    {
        var path = Path.Combine(dir, LogFile);
        if (!File.Exists(path)) return [];
        return File.ReadLines(path).Where(l => l.Length > 0).Select(l =>
        {
            try { return JsonSerializer.Deserialize<TrainLogEntry>(l, LogJson)!; }
            catch (JsonException) { return null; } // a line cut by a kill is dropped
        }).OfType<TrainLogEntry>().ToList();
    }
}

/// <summary>The order in which blocks are visited: epoch after epoch, each a seeded permutation (SplitMix64 Fisher–Yates).</summary>
public sealed class BlockOrder(long count, long seed, bool shuffle)
{
    long epoch = -1;
    long[] permutation = [];

    public long BlockAt(long sampleIndex)
    {
        var e = sampleIndex / count;
        var pos = sampleIndex % count;
        if (!shuffle) return pos;
        if (e != epoch)
        {
            permutation = Permutation(count, unchecked((ulong)seed * SplitMix64.Gamma + (ulong)e));
            epoch = e;
        }
        return permutation[pos];
    }

    static long[] Permutation(long n, ulong state)
    {
        var p = new long[n];
        for (long i = 0; i < n; i++) p[i] = i;
        var rng = new SplitMix64(state);
        for (var i = n - 1; i > 0; i--)
        {
            var j = (long)(rng.Next() % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}

/// <summary>Atomic training checkpoints: model (HF layout, float32), optimizer moments and the step.</summary>
public static class TrainCheckpoint
{
    public static void Save(string outputDir, LlamaForCausalLM model, AdamW optimizer, int step, TrainConfig config)
    {
        var final = Path.Combine(outputDir, Trainer.CheckpointFolder);
        var staging = Path.Combine(outputDir, $".{Trainer.CheckpointFolder}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var old = final + ".old";
        model.Save(staging);
        Safetensors.Save(Path.Combine(staging, "optimizer.safetensors"), optimizer.StateTensors());
        var state = new JsonObject { ["step"] = step, ["optimizer_step"] = optimizer.Step, ["seed"] = config.Seed, ["tokens"] = (long)step * config.TokensPerStep };
        AtomicFile.WriteAllText(Path.Combine(staging, "trainer_state.json"), state.ToJsonString());
        // Swap folders: the previous checkpoint stays until the new one is complete.
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (Directory.Exists(final)) Directory.Move(final, old);
        Directory.Move(staging, final);
        if (Directory.Exists(old)) Directory.Delete(old, true);
    }

    /// <summary>
    /// Removes what a killed run leaves behind: half-written checkpoint folders and temporary files (".NAME.PID.GUID.tmp"),
    /// and the previous checkpoint when the new one is complete. Only one run writes to an output folder at a time.
    /// </summary>
    public static void RemoveLeftovers(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return;
        foreach (var d in Directory.EnumerateDirectories(outputDir, ".*.tmp")) Directory.Delete(d, true);
        foreach (var f in Directory.EnumerateFiles(outputDir, ".*.tmp")) File.Delete(f);
        var final = Path.Combine(outputDir, Trainer.CheckpointFolder);
        if (File.Exists(Path.Combine(final, "trainer_state.json")) && Directory.Exists(final + ".old")) Directory.Delete(final + ".old", true);
    }

    /// <summary>Loads the latest complete checkpoint into the model and optimizer; returns its step (0 when there is none).</summary>
    public static int TryLoad(string outputDir, LlamaForCausalLM model, AdamW optimizer)
    {
        var dir = new[] { Path.Combine(outputDir, Trainer.CheckpointFolder), Path.Combine(outputDir, Trainer.CheckpointFolder + ".old") }
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "trainer_state.json")));
        if (dir is null) return 0;
        var statePath = Path.Combine(dir, "trainer_state.json");
        var state = JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        var step = state["step"]?.GetValue<int>() ?? throw new BadInputException("missing", statePath, "step");
        var loaded = LlamaModel.Load(dir);
        if (loaded.Config != model.Config) throw new BadInputException("the checkpoint's model shape differs from this run's", Path.Combine(dir, "config.json"));
        using (no_grad())
        {
            var target = model.NamedTensors();
            foreach (var (name, t) in loaded.NamedTensors()) target[name].copy_(t);
        }
        loaded.Dispose();
        var moments = Safetensors.Load(Path.Combine(dir, "optimizer.safetensors"));
        try { optimizer.Restore(moments, state["optimizer_step"]?.GetValue<long>() ?? step, statePath); }
        finally { foreach (var t in moments.Values) t.Dispose(); }
        return step;
    }
}
