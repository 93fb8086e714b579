namespace SafetyNotebooks.Training;

/// <summary>Learning-rate schedule shapes.</summary>
public enum LrSchedule { Constant, Cosine, Wsd }

/// <summary>
/// A single-device training run. Defaults follow SmolLM2 / the paper's model card (AdamW betas 0.9/0.95, eps 1e-8,
/// weight decay 0.01, clipping 1.0, lr 5e-4, warmup-stable-decay).
/// </summary>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="BatchSize">Sequences per micro-batch.</param>
/// <param name="SequenceLength">T: each sequence is a block of T+1 tokens (inputs 0..T-1, targets 1..T).</param>
/// <param name="GradAccumulation">Micro-batches per optimizer step.</param>
/// <param name="MinLearningRate">Where cosine and WSD decay end.</param>
/// <param name="DecayFraction">WSD: the final fraction of steps that decays linearly to <paramref name="MinLearningRate"/>.</param>
/// <param name="ClipNorm">Global gradient-norm clipping; null or ≤ 0 disables it.</param>
/// <param name="Bf16">On CUDA, compute in bfloat16 over float32 master weights and optimizer state (CPU always float32).</param>
/// <param name="CheckpointEvery">Checkpoint every N steps (0: only at the end when an output folder is given).</param>
/// <param name="PeakFlops">Device peak FLOP/s for MFU (e.g. 989e12 for H100 bf16 dense); null: MFU not reported.</param>
public sealed record TrainConfig(
    int Steps,
    int BatchSize,
    int SequenceLength,
    int GradAccumulation = 1,
    double LearningRate = 5e-4,
    double MinLearningRate = 0.0,
    int WarmupSteps = 0,
    LrSchedule Schedule = LrSchedule.Wsd,
    double DecayFraction = 0.2,
    double Beta1 = 0.9,
    double Beta2 = 0.95,
    double Eps = 1e-8,
    double WeightDecay = 0.01,
    double? ClipNorm = 1.0,
    bool Bf16 = true,
    long Seed = 42,
    int CheckpointEvery = 0,
    double? PeakFlops = null)
{
    public long TokensPerStep => (long)BatchSize * SequenceLength * GradAccumulation;

    /// <summary>Checks ranges; the message names the config key.</summary>
    public TrainConfig Validate(string source = "train config")
    {
        void Check(bool ok, string key, object value, string what) { if (!ok) throw new BadInputException(what, source, key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); }
        Check(Steps >= 1, "steps", Steps, "must be at least 1");
        Check(BatchSize >= 1, "batch_size", BatchSize, "must be at least 1");
        Check(SequenceLength >= 1, "seq_len", SequenceLength, "must be at least 1");
        Check(GradAccumulation >= 1, "grad_accum", GradAccumulation, "must be at least 1");
        Check(LearningRate > 0, "lr", LearningRate, "must be positive");
        Check(MinLearningRate >= 0 && MinLearningRate <= LearningRate, "min_lr", MinLearningRate, "must be in [0, lr]");
        Check(WarmupSteps >= 0 && WarmupSteps <= Steps, "warmup_steps", WarmupSteps, "must be in [0, steps]");
        Check(DecayFraction >= 0 && DecayFraction <= 1, "decay_fraction", DecayFraction, "must be in [0, 1]");
        Check(Beta1 is >= 0 and < 1, "beta1", Beta1, "must be in [0, 1)");
        Check(Beta2 is >= 0 and < 1, "beta2", Beta2, "must be in [0, 1)");
        Check(Eps > 0, "eps", Eps, "must be positive");
        Check(WeightDecay >= 0, "weight_decay", WeightDecay, "must be ≥ 0");
        Check(CheckpointEvery >= 0, "checkpoint_every", CheckpointEvery, "must be ≥ 0");
        return this;
    }
}

/// <summary>Learning rate at a step (0-based), as a pure function of the config.</summary>
public static class LearningRates
{
    public static double At(TrainConfig c, int step)
    {
        if (c.WarmupSteps > 0 && step < c.WarmupSteps) return c.LearningRate * (step + 1) / c.WarmupSteps;
        switch (c.Schedule)
        {
            case LrSchedule.Constant:
                return c.LearningRate;
            case LrSchedule.Cosine:
            {
                var span = Math.Max(1, c.Steps - c.WarmupSteps);
                var progress = Math.Clamp((double)(step - c.WarmupSteps) / span, 0, 1);
                return c.MinLearningRate + 0.5 * (c.LearningRate - c.MinLearningRate) * (1 + Math.Cos(Math.PI * progress));
            }
            default:
            {
                var decaySteps = (int)Math.Round(c.Steps * c.DecayFraction);
                var decayStart = c.Steps - decaySteps;
                if (decaySteps == 0 || step < decayStart) return c.LearningRate;
                var progress = (double)(step - decayStart + 1) / decaySteps;
                return c.LearningRate + (c.MinLearningRate - c.LearningRate) * progress;
            }
        }
    }
}
