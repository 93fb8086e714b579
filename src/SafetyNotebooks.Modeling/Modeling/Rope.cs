using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Modeling;

/// <summary>
/// Rotary position embedding, computed exactly as Hugging Face's default Llama rope: inverse frequencies
/// 1 / theta^(2i/d) in float32, angles = position × inv_freq (float32), cos/sin of [angles, angles], and
/// x·cos + rotate_half(x)·sin with rotate_half(x) = [-x₂, x₁].
/// </summary>
public static class Rope
{
    /// <summary>Inverse frequencies [headDim/2] (float32).</summary>
    public static Tensor InverseFrequencies(int headDim, double theta, Device device)
    {
        using var scope = NewDisposeScope();
        var exponent = arange(0, headDim, 2, dtype: ScalarType.Int64, device: device).to_type(ScalarType.Float32) / headDim;
        return (1.0 / pow(tensor(theta, ScalarType.Float32, device), exponent)).MoveToOuterDisposeScope();
    }

    /// <summary>cos and sin [rows, 1, T, headDim] for integer <paramref name="positionIds"/> [rows, T], in <paramref name="dtype"/>.</summary>
    public static (Tensor Cos, Tensor Sin) CosSin(Tensor inverseFrequencies, Tensor positionIds, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var angles = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * inverseFrequencies; // [rows, T, d/2]
        var emb = cat([angles, angles], -1).unsqueeze(1);
        return (emb.cos().to_type(dtype).MoveToOuterDisposeScope(), emb.sin().to_type(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>rotate_half(x) = [-x₂, x₁] over the last dimension: the one definition for the Llama model and the GTE encoder.</summary>
    public static Tensor RotateHalf(Tensor x)
    {
        var half = x.shape[^1] / 2;
        return cat([-x[TensorIndex.Ellipsis, TensorIndex.Slice(half)], x[TensorIndex.Ellipsis, TensorIndex.Slice(0, half)]], -1);
    }

    /// <summary>Rotates <paramref name="x"/> [rows, heads, T, headDim]; cos and sin broadcast ([rows, 1, T, d] or [T, d]).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin) => x * cos + RotateHalf(x) * sin;
}
