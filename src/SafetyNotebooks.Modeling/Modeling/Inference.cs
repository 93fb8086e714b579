using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Modeling;

/// <summary>
/// Inference mode outside training, by construction: decoding, scoring, serving and evaluation open
/// <see cref="Mode"/> around their forward passes (no autograd graph is recorded, so no activations are kept per
/// step), and models loaded for inference are <see cref="Frozen{T}"/> (no parameter requires a gradient).
/// </summary>
public static class Inference
{
    /// <summary>Gradients off until disposed (PyTorch's <c>torch.no_grad()</c>).</summary>
    public static IDisposable Mode() => no_grad();

    /// <summary>Turns <c>requires_grad</c> off on every parameter and puts the module in eval mode; returns it.</summary>
    public static T Frozen<T>(T model) where T : nn.Module
    {
        foreach (var p in model.parameters()) p.requires_grad = false;
        model.eval();
        return model;
    }
}
