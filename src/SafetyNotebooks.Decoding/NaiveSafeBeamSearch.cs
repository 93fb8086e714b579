using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Decoding;

/// <summary>
/// Algorithm 2 taken literally, as the reference for <see cref="SafeBeamSearch"/> and the baseline of its benchmark:
/// no KV cache; each step runs one full forward per beam (its next-token distribution) and one full forward per
/// candidate (its look-ahead tag probability) — k + k·n passes over the whole sequence per step. Same options, same
/// filter and same end-of-sequence rules, so both give the same beams.
/// </summary>
public static class NaiveSafeBeamSearch
{
    public static GenerationResult Run(ICausalLanguageModel model, IReadOnlyList<int> prompt, SafeBeamOptions options)
    {
        using var inference = Inference.Mode();
        Prompts.Validate([prompt], model.VocabSize);
        options.Validate(model.VocabSize);
        var k = options.Beams;
        var n = options.CandidatesPerBeam;
        var cost = DecodingCost.Zero;
        var pool = FinishedPool.Empty(k);
        IReadOnlyList<Beam> beams = [new Beam([], 0, 0)];
        for (var step = 0; step < options.Stopping.MaxNewTokens; step++)
        {
            var candidates = new List<Continuation>();
            var scored = new List<SafeBeamCandidate>();
            foreach (var beam in beams)
            {
                float[] logProbs;
                long[] ids;
                using (var expansion = NextLogits(model, [.. prompt, .. beam.Tokens], ref cost))
                    (logProbs, ids) = Host.TopLogProbs(expansion, n, options.ShortCircuit ? null : options.TagTokenId);
                for (var j = 0; j < n; j++)
                {
                    var token = (int)ids[j];
                    using var look = NextLogits(model, [.. prompt, .. beam.Tokens, token], ref cost);
                    candidates.Add(new Continuation(beam, token, beam.LogProb + logProbs[j], 0));
                    scored.Add(new SafeBeamCandidate(beam.LogProb + logProbs[j], SafeBeamSearch.TagProbability(look, options.TagTokenId)[0]));
                }
            }
            var ranked = SafeBeamSearch.Survivors(scored, options.Discard).Select(i => candidates[i]).ToArray();
            var (running, next, done) = BeamBookkeeping.Advance(ranked, k, t => SafeBeamSearch.Ends(t, options), step + 1 == options.Stopping.MaxNewTokens,
                pool, step + 1, options.LengthPenalty, options.EarlyStopping);
            pool = next;
            if (done) break;
            beams = running.Select(c => new Beam(c.Tokens, c.LogProb, 0)).ToArray();
        }
        return SafeBeamSearch.Result(pool, options.NumReturnSequences ?? k, options, cost);
    }

    /// <summary>Float32 logits [1, vocab] of the token after <paramref name="sequence"/>, from an uncached forward.</summary>
    static Tensor NextLogits(ICausalLanguageModel model, int[] sequence, ref DecodingCost cost)
    {
        cost = cost.Add(1, sequence.Length);
        using var scope = NewDisposeScope();
        var ids = tensor(sequence.Select(t => (long)t).ToArray(), [1, sequence.Length], device: model.Device);
        return model.Forward(ids)[TensorIndex.Colon, -1].to_type(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
    }
}
