namespace SafetyNotebooks.Launch;

/// <summary>The batch arithmetic LitGPT derives from a config (PRETRAINING.md §1.2, <c>fit()</c>).</summary>
public sealed record BatchPlan(
    int WorldSize,
    int GlobalBatch,
    int MicroBatch,
    int SeqLength,
    int GradientAccumulation,
    long TokensPerStep,
    long MicroIterationsPerDevice,
    long OptimizerSteps,
    long TokensTrained);

/// <summary>Compute estimate of a run: FLOPs, throughput at the assumed MFU, wall time, GPU-hours.</summary>
public sealed record ComputePlan(
    long Parameters,
    long MatmulParameters,
    double DenseFlopsPerToken,
    double AttentionFlopsPerToken,
    double FlopsPerToken,
    double TotalFlops,
    string Gpu,
    double PeakFlopsPerGpu,
    double Mfu,
    double TokensPerSecondPerGpu,
    double ClusterTokensPerSecond,
    double Days,
    double GpuHours);

/// <summary>Bytes on disk: one resumable checkpoint, the fp32 weights, and the dataset (as found, and as needed for the token budget).</summary>
public sealed record StoragePlan(long CheckpointBytes, long WeightBytes, long Checkpoints, long DatasetBytes, long DatasetTokens, long BudgetDatasetBytes, double Epochs);

/// <summary>Everything <c>safetynb launch plan</c> decides, written as plan.json next to pretrain.yaml and launch.sbatch.</summary>
public sealed record PretrainPlan(
    PretrainRequest Request,
    ModelShape Shape,
    TokenizerVocabulary Vocabulary,
    LitDataFolder Data,
    BatchPlan Batch,
    ComputePlan Compute,
    StoragePlan Storage,
    IReadOnlyList<string> Notes)
{
    /// <summary>Where LitGPT writes checkpoints and logs (a folder of the plan directory).</summary>
    public string CheckpointDir => Path.Combine(Path.GetFullPath(Request.OutDir), "checkpoints");
}

/// <summary>Builds a <see cref="PretrainPlan"/>, refusing requests that LitGPT would reject or silently change.</summary>
public static class PretrainPlanner
{
    /// <summary>
    /// Plans a run. <paramref name="vocabulary"/> and <paramref name="data"/> default to reading <c>r.TokenizerDir</c> and
    /// inspecting <c>r.DataDir</c>; pass them to plan for a tokenizer or dataset that lives elsewhere (e.g. on the cluster).
    /// </summary>
    public static PretrainPlan Plan(PretrainRequest r, TokenizerVocabulary? vocabulary = null, LitDataFolder? data = null)
    {
        if (!string.Equals(r.Engine, "litgpt", StringComparison.OrdinalIgnoreCase))
            throw new BadInputException("only LitGPT is supported (the paper's engine)", "--engine", value: r.Engine);
        SbatchValues.Check(r.Sbatch);
        var shape = ModelShapes.Find(r.Model);
        var gpu = Gpus.Find(r.Gpu);
        var batch = Batch(r);
        if (r.Mfu is <= 0 or > 1) throw new BadInputException("MFU must be in (0, 1]", "--mfu", value: r.Mfu.ToString("R"));
        if (r.WarmupSteps < 0) throw new BadInputException("must be ≥ 0", "--warmup-steps", value: r.WarmupSteps.ToString());
        if (r.Logger is not ("csv" or "tensorboard" or "wandb" or "mlflow" or "litlogger"))
            throw new BadInputException("expected csv, tensorboard, wandb, mlflow or litlogger", "--logger", value: r.Logger);
        var vocab = vocabulary ?? TokenizerVocabulary.Read(r.TokenizerDir, string.IsNullOrEmpty(r.Tag) ? null : r.Tag);
        data ??= LitDataFolder.Inspect(r.DataDir);

        var dense = 6.0 * ComputeMath.MatmulParams(shape, vocab.PaddedVocabSize);
        var attention = ComputeMath.AttentionFlopsPerToken(shape, r.SeqLength);
        var perToken = dense + attention;
        var tps = ComputeMath.TokensPerSecondPerGpu(r.Mfu, gpu.PeakBf16Flops, perToken);
        var seconds = ComputeMath.TrainingSeconds(batch.TokensTrained, batch.WorldSize, tps);
        var parameters = ComputeMath.TotalParams(shape, vocab.PaddedVocabSize, tied: true);
        var compute = new ComputePlan(parameters, ComputeMath.MatmulParams(shape, vocab.PaddedVocabSize), dense, attention, perToken,
            perToken * batch.TokensTrained, gpu.Name, gpu.PeakBf16Flops, r.Mfu, tps, tps * batch.WorldSize,
            seconds / 86400, seconds * batch.WorldSize / 3600);

        var datasetTokens = data.Train.Tokens;
        var storage = new StoragePlan(ComputeMath.CheckpointBytes(parameters), ComputeMath.WeightBytesFp32(parameters),
            batch.OptimizerSteps / Math.Max(1, r.SaveInterval) + 1, data.Train.Bytes + (data.Val?.Bytes ?? 0), datasetTokens,
            ComputeMath.TokenDatasetBytes(batch.TokensTrained), datasetTokens == 0 ? double.PositiveInfinity : (double)batch.TokensTrained / datasetTokens);
        if (datasetTokens == 0)
            throw new BadInputException("the training split holds no tokens", Path.Combine(data.Train.Path, "index.json"), "chunks[].dim", "0");

        return new PretrainPlan(r, shape, vocab, data, batch, compute, storage, Notes(r, shape, vocab, data, batch, storage));
    }

    /// <summary>Pure: LitGPT's batch arithmetic, refusing batches that do not split evenly over the GPUs.</summary>
    public static BatchPlan Batch(PretrainRequest r)
    {
        if (r.Nodes < 1) throw new BadInputException("must be at least 1", "--nodes", value: r.Nodes.ToString());
        if (r.GpusPerNode < 1) throw new BadInputException("must be at least 1", "--gpus-per-node", value: r.GpusPerNode.ToString());
        if (r.GlobalBatch < 1) throw new BadInputException("must be at least 1", "--global-batch", value: r.GlobalBatch.ToString());
        if (r.MicroBatch < 1) throw new BadInputException("must be at least 1", "--micro-batch", value: r.MicroBatch.ToString());
        if (r.SeqLength < 1) throw new BadInputException("must be at least 1", "--seq-length", value: r.SeqLength.ToString());
        var world = r.Nodes * r.GpusPerNode;
        if (r.GlobalBatch % world != 0)
            throw new BadInputException($"{world} GPUs ({r.Nodes} nodes × {r.GpusPerNode}) do not divide the global batch of {r.GlobalBatch} sequences; " +
                                        "LitGPT would silently train on a smaller batch", "--nodes/--gpus-per-node", value: world.ToString());
        var perDevice = r.GlobalBatch / world;
        if (perDevice % r.MicroBatch != 0)
            throw new BadInputException($"the per-GPU batch of {perDevice} sequences ({r.GlobalBatch} / {world} GPUs) is not a multiple of the micro-batch {r.MicroBatch}; " +
                                        "gradient accumulation would not be whole", "--micro-batch", value: r.MicroBatch.ToString());
        if (double.IsNaN(r.Tokens) || r.Tokens <= 0 || r.Tokens != Math.Floor(r.Tokens) || r.Tokens > 9e18)
            throw new BadInputException("expected a positive whole number of tokens (e.g. 600e9)", "--tokens", value: r.Tokens.ToString("R"));
        var tokens = (long)r.Tokens;
        long tokensPerStep = (long)r.GlobalBatch * r.SeqLength;
        var accumulation = perDevice / r.MicroBatch;
        // LitGPT: max_iters = (max_tokens // world_size) // (micro_batch_size * max_seq_length) micro-iterations per device.
        var microIters = tokens / world / ((long)r.MicroBatch * r.SeqLength);
        var steps = microIters / accumulation;
        if (steps < 1)
            throw new BadInputException($"the token budget does not fill one optimizer step ({tokensPerStep:N0} tokens)", "--tokens", value: tokens.ToString());
        return new BatchPlan(world, r.GlobalBatch, r.MicroBatch, r.SeqLength, accumulation, tokensPerStep, microIters, steps,
            microIters * r.MicroBatch * r.SeqLength * world);
    }

    static List<string> Notes(PretrainRequest r, ModelShape shape, TokenizerVocabulary vocab, LitDataFolder data, BatchPlan b, StoragePlan s)
    {
        var notes = new List<string>
        {
            $"Learning-rate schedule: SmolLM2 used warmup-stable-decay (linear warmup {r.WarmupSteps} steps, constant, then linear decay to 0 over the last 10% (1.7B) or 20% (135M/360M)). " +
            "LitGPT 0.5.x pretrain has one schedule, linear warmup then cosine decay to min_lr, and no WSD option; the config uses that cosine schedule with " +
            $"min_lr {Yaml.Float(r.MinLearningRate)}. Reproducing WSD needs a patched litgpt/pretrain.py get_lr().",
            $"model_config overrides LitGPT's stock {shape.Name}: block_size {r.SeqLength} (also makes LitGPT's measured FLOPs/MFU refer to {r.SeqLength}-token sequences) " +
            $"and rope_base {shape.RopeBase:0} (SmolLM2's 2k pretraining phase; the stock config holds the context-extended checkpoint's values).",
            "Embeddings are tied through train.tie_embeddings (LitGPT's Config has no tie field; SmolLM2 is tied).",
            "LitGPT differs from SmolLM2's nanotron recipe in ways a config cannot change: GPT-NeoX-style initialisation instead of std 0.02, and weight decay on every parameter including norms and embeddings.",
        };
        if (vocab.Tag is not null)
            notes.Add(vocab.TagAppended
                ? $"The tag \"{vocab.Tag}\" is not in the tokenizer ({vocab.TokenizerSize} ids): it gets id {vocab.TagId}, vocab_size {vocab.VocabSize}, padded_vocab_size {vocab.PaddedVocabSize}. " +
                  "The LitData stream must already carry id " + vocab.TagId + "; add the tag to tokenizer.json's added_tokens for litgpt generate to print it."
                : $"The tag \"{vocab.Tag}\" is already token id {vocab.TagId}; vocab_size {vocab.VocabSize}, padded to {vocab.PaddedVocabSize}.");
        if (b.TokensTrained != (long)r.Tokens)
            notes.Add($"{(long)r.Tokens:N0} tokens is not a whole number of steps: LitGPT stops after {b.OptimizerSteps:N0} optimizer steps = {b.TokensTrained:N0} tokens " +
                      $"({b.MicroIterationsPerDevice:N0} micro-iterations per GPU; max_iters rounds down).");
        if (s.Epochs > 1)
            notes.Add($"The training split holds {s.DatasetTokens:N0} tokens, so the budget is {s.Epochs.ToString("N2", System.Globalization.CultureInfo.InvariantCulture)} passes over it (LitGPT cycles the stream).");
        if (data.Val is null)
            notes.Add("No val/ split: LitGPT validates on the training stream.");
        if (r.Logger != "csv")
            notes.Add("`safetynb launch status` reads the CSV logger's metrics.csv; with another logger it has nothing to plot.");
        return notes;
    }
}
