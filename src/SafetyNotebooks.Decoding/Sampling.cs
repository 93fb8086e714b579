using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Decoding;

/// <summary>
/// Sampling settings with Hugging Face's defaults: <see cref="Temperature"/> divides the logits, <see cref="TopK"/> keeps
/// the k most likely tokens (0: all), <see cref="TopP"/> keeps the smallest set whose probability reaches p (1: all).
/// <see cref="Seed"/> is explicit: prompt i draws from its own generator seeded with (Seed, i), so a result does not
/// depend on the batch it was decoded in.
/// </summary>
public sealed record SamplingOptions(Stopping Stopping, long Seed, double Temperature = DecodingDefaults.Temperature, int TopK = DecodingDefaults.TopK, double TopP = DecodingDefaults.TopP);

/// <summary>Ancestral sampling with temperature, top-k and top-p filtering.</summary>
public static class Sampling
{
    public static GenerationResult Run(ICausalLanguageModel model, IReadOnlyList<int> prompt, SamplingOptions options) =>
        Run(model, [prompt], options)[0];

    public static IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options)
    {
        if (!(options.Temperature > 0) || double.IsInfinity(options.Temperature))
            throw new BadInputException("must be a positive number", "sampling options", "temperature", options.Temperature.ToString("R"));
        if (options.TopK < 0) throw new BadInputException("must be 0 (off) or positive", "sampling options", "top_k", options.TopK.ToString());
        if (!(options.TopP > 0 && options.TopP <= 1)) throw new BadInputException("must be in (0, 1]", "sampling options", "top_p", options.TopP.ToString("R"));
        var generators = prompts.Select((_, i) => new Random(SeedOf(options.Seed, i))).ToArray();
        return TokenByToken.Run(model, prompts, options.Stopping, (logits, promptOfRow) =>
        {
            var probs = Probabilities(logits, options);
            var vocab = (int)logits.shape[1];
            return promptOfRow.Select((p, r) => (long)Draw(probs.AsSpan(r * vocab, vocab), generators[p])).ToArray();
        });
    }

    /// <summary>The filtered, renormalised distribution of each row, row-major [rows, vocab].</summary>
    internal static float[] Probabilities(Tensor logits, SamplingOptions options)
    {
        using var scope = NewDisposeScope();
        var scores = logits / options.Temperature;
        var vocab = scores.shape[1];
        if (options.TopK > 0 && options.TopK < vocab)
        {
            var kth = scores.topk(options.TopK, dim: 1).values[TensorIndex.Colon, TensorIndex.Slice(-1)];
            scores = scores.masked_fill(scores < kth, float.NegativeInfinity);
        }
        if (options.TopP < 1)
        {
            // Hugging Face: sort ascending, drop the tokens whose cumulative probability stays within 1 - p; keep the top one.
            var (sorted, order) = scores.sort(1, descending: false);
            var cumulative = sorted.softmax(1).cumsum(1);
            var drop = cumulative <= (1 - options.TopP);
            drop[TensorIndex.Colon, -1] = tensor(false);
            scores = scores.masked_fill(zeros_like(drop).scatter(1, order, drop), float.NegativeInfinity);
        }
        return Host.Floats(scores.softmax(1));
    }

    static int Draw(ReadOnlySpan<float> probs, Random random)
    {
        var u = random.NextDouble();
        double total = 0;
        var last = 0;
        for (var i = 0; i < probs.Length; i++)
        {
            if (probs[i] <= 0) continue;
            last = i;
            total += probs[i];
            if (u < total) return i;
        }
        return last;   // u fell in the rounding gap above the float sum
    }

    static int SeedOf(long seed, int prompt)
    {
        var mixed = unchecked(seed * 1_000_003L + prompt);
        return unchecked((int)(mixed ^ (mixed >> 32)));
    }
}
