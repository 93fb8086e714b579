using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Training;

/// <summary>
/// AdamW with decoupled weight decay, exactly PyTorch's update (torch.optim.AdamW, amsgrad off): p ← p·(1 − lr·wd);
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε). Written out (rather than
/// TorchSharp's optimizer) so that its state — step and the float32 moments — is plain tensors that checkpoints save
/// and restore bit for bit.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly IReadOnlyList<(string Name, Tensor Param)> parameters;
    readonly Dictionary<string, (Tensor M, Tensor V)> moments = new(StringComparer.Ordinal);

    public long Step { get; private set; }

    public AdamW(IEnumerable<(string Name, Tensor Param)> parameters)
    {
        this.parameters = parameters.ToList();
        foreach (var (name, p) in this.parameters)
            moments[name] = (zeros_like(p, dtype: ScalarType.Float32).DetachFromDisposeScope(), zeros_like(p, dtype: ScalarType.Float32).DetachFromDisposeScope());
    }

    public void Update(double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        Step++;
        var bc1 = 1 - Math.Pow(beta1, Step);
        var bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, Step));
        using var _ = no_grad();
        foreach (var (name, p) in parameters)
        {
            using var scope = NewDisposeScope();
            if (p.grad is not { } g) continue;
            var (m, v) = moments[name];
            p.mul_(1 - lr * weightDecay);
            m.mul_(beta1).add_(g, alpha: 1 - beta1);
            v.mul_(beta2).addcmul_(g, g, value: 1 - beta2);
            var denom = v.sqrt().div_(bc2Sqrt).add_(eps);
            p.addcdiv_(m, denom, value: -lr / bc1);
        }
    }

    /// <summary>State tensors by name ("exp_avg.NAME", "exp_avg_sq.NAME"), for checkpoints.</summary>
    public Dictionary<string, Tensor> StateTensors() =>
        moments.SelectMany(kv => new[] { ($"exp_avg.{kv.Key}", kv.Value.M), ($"exp_avg_sq.{kv.Key}", kv.Value.V) })
            .ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

    public void Restore(IReadOnlyDictionary<string, Tensor> state, long step, string source)
    {
        using var _ = no_grad();
        foreach (var (name, (m, v)) in moments)
        {
            m.copy_(state.TryGetValue($"exp_avg.{name}", out var sm) ? sm : throw new BadInputException("optimizer state missing", source, $"exp_avg.{name}"));
            v.copy_(state.TryGetValue($"exp_avg_sq.{name}", out var sv) ? sv : throw new BadInputException("optimizer state missing", source, $"exp_avg_sq.{name}"));
        }
        Step = step;
    }

    public void Dispose()
    {
        foreach (var (m, v) in moments.Values)
        {
            m.Dispose();
            v.Dispose();
        }
        moments.Clear();
    }
}
