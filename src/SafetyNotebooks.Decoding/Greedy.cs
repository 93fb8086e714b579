using SafetyNotebooks.Modeling;
using TorchSharp;

namespace SafetyNotebooks.Decoding;

public sealed record GreedyOptions(Stopping Stopping);

/// <summary>Greedy decoding: the most likely token at every step (ties: the lowest id, as torch.argmax).</summary>
public static class Greedy
{
    public static GenerationResult Run(ICausalLanguageModel model, IReadOnlyList<int> prompt, GreedyOptions options) =>
        Run(model, [prompt], options)[0];

    /// <summary>Decodes a batch of prompts of any lengths (left-padded together); one result per prompt.</summary>
    public static IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, GreedyOptions options) =>
        TokenByToken.Run(model, prompts, options.Stopping, (logits, _) =>
        {
            using var best = logits.argmax(1);
            return Host.Longs(best);
        });
}
