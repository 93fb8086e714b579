using System.Collections.Immutable;
using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Decoding;

/// <summary>
/// Beam search settings with Hugging Face's defaults: <see cref="LengthPenalty"/> 1 (finished beams are ranked by
/// log-prob / new tokens^penalty; 0 ranks by the plain sum), early stopping off, and
/// <see cref="NumReturnSequences"/> (default: all <see cref="Beams"/>) hypotheses returned, best first.
/// </summary>
public sealed record BeamSearchOptions(Stopping Stopping, int Beams = DecodingDefaults.Beams, double LengthPenalty = DecodingDefaults.BeamLengthPenalty, bool EarlyStopping = false, int? NumReturnSequences = null)
{
    internal void Validate(long vocabSize)
    {
        Stopping.Validate(vocabSize);
        if (Beams < 1) throw new BadInputException("must be at least 1", "beam search options", "beams", Beams.ToString());
        if (NumReturnSequences is { } n && (n < 1 || n > Beams))
            throw new BadInputException($"must be between 1 and the number of beams ({Beams})", "beam search options", "num_return_sequences", n.ToString());
        if (!double.IsFinite(LengthPenalty)) throw new BadInputException("must be a finite number", "beam search options", "length_penalty", LengthPenalty.ToString("R"));
    }
}

/// <summary>
/// Beam search as Hugging Face transformers does it: each step one forward over the live beams on the KV cache, the best
/// 2k continuations of all beams (max(2, 1 + #EOS)·k), finished continuations among the top k go to a pool of k
/// hypotheses, the best k unfinished ones keep running, and the cache rows follow them.
/// </summary>
public static class BeamSearch
{
    public static GenerationResult Run(ICausalLanguageModel model, IReadOnlyList<int> prompt, BeamSearchOptions options) =>
        Run(model, [prompt], options)[0];

    public static IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, BeamSearchOptions options)
    {
        using var inference = Inference.Mode();
        Prompts.Validate(prompts, model.VocabSize);
        options.Validate(model.VocabSize);
        var k = options.Beams;
        var stopping = options.Stopping;
        var toKeep = (int)Math.Min(Math.Max(2, 1 + stopping.EosTokenIds.Count) * k, model.VocabSize);
        var returned = options.NumReturnSequences ?? k;
        return BeamLoop.Run(model, prompts, new BeamLoop.Settings(k, stopping, t => stopping.Hits(t), options.LengthPenalty, options.EarlyStopping),
            new TopTokens(toKeep), (pool, cost) => new GenerationResult(pool.Best.Take(returned).ToArray(), false, cost));
    }

    /// <summary>Plain expansion: the best <c>toKeep</c> continuations of all of a prompt's beams, by log-prob; a kept beam continues on its parent's row.</summary>
    sealed class TopTokens(int toKeep) : IBeamExpansion
    {
        public IReadOnlyList<Continuation>?[] Expand(CachedRows rows, Tensor logits, IReadOnlyList<Beam>[] beams, bool[] done)
        {
            var (logProbs, ids) = Host.TopLogProbs(logits, toKeep);
            var ranked = new IReadOnlyList<Continuation>?[beams.Length];
            var row = 0;
            for (var p = 0; p < beams.Length; p++)
            {
                if (done[p]) continue;
                var candidates = new List<Continuation>(beams[p].Count * toKeep);
                foreach (var beam in beams[p])
                {
                    for (var j = 0; j < toKeep; j++)
                        candidates.Add(new Continuation(beam, (int)ids[row * toKeep + j], beam.LogProb + logProbs[row * toKeep + j], row));
                    row++;
                }
                // Stable: on equal scores the earlier beam, then the more likely token, comes first.
                ranked[p] = candidates.OrderByDescending(c => c.LogProb).Take(toKeep).ToArray();
            }
            return ranked;
        }

        public Tensor Keep(CachedRows rows, IReadOnlyList<Continuation> running)
        {
            rows.Select(running.Select(c => c.Row).ToArray());
            return rows.Step(running.Select(c => (long)c.Token).ToArray());
        }

        public void Dispose() { }
    }
}
