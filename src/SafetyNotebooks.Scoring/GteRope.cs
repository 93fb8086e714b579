using SafetyNotebooks.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafetyNotebooks.Scoring;

/// <summary>
/// RoPE of the "new" architecture. With NTK scaling the frequencies are always the scaled ones, whatever the input
/// length: inv_freq[j] = (θ·f)^(-2j/d) / f^(2/d). Cosines and sines repeat the half-size angles ([a | a]).
/// </summary>
public static class GteRope
{
    public static double[] InverseFrequencies(int headDim, double theta, double? ntkFactor) =>
        Enumerable.Range(0, headDim / 2).Select(j => ntkFactor is { } f
            ? Math.Pow(theta * f, -2.0 * j / headDim) / Math.Pow(f, 2.0 / headDim)
            : Math.Pow(theta, -2.0 * j / headDim)).ToArray();

    /// <summary>cos and sin of shape [T, d] for positions 0..T-1 (padded rows use the same positions).</summary>
    public static (Tensor Cos, Tensor Sin) Table(int length, double[] inverseFrequencies, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var inv = tensor(inverseFrequencies.Select(x => (float)x).ToArray(), device: device);
        var angles = outer(arange(length, float32, device), inv);
        var emb = cat([angles, angles], -1);
        return (emb.cos().to(dtype).MoveToOuterDisposeScope(), emb.sin().to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Rotates <paramref name="x"/> of shape [B, H, T, d]: the Llama model's <see cref="Rope.Apply"/>.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin) => Rope.Apply(x, cos, sin);
}
