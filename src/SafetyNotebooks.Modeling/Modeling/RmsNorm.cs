using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Modeling;

/// <summary>
/// Root-mean-square layer norm as Hugging Face's LlamaRMSNorm computes it: normalise in float32, cast back to the
/// input dtype, then scale by the weight. TorchSharp 0.107 has no RMSNorm.
/// </summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly double eps;
#pragma warning disable IDE0044 // registered by field name: "weight"
    TorchSharp.Modules.Parameter weight;
#pragma warning restore IDE0044

    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        this.eps = eps;
        weight = new TorchSharp.Modules.Parameter(ones(size));
        RegisterComponents();
    }

    public Tensor Weight => weight;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to_type(ScalarType.Float32);
        var normed = x32 * rsqrt(x32.pow(2).mean([-1L], keepdim: true) + eps);
        var w = weight.dtype == x.dtype ? (Tensor)weight : weight.to_type(x.dtype);
        return (w * normed.to_type(x.dtype)).MoveToOuterDisposeScope();
    }
}
