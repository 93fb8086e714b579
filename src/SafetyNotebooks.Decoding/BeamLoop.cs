using System.Collections.Immutable;
using SafetyNotebooks.Modeling;
using static TorchSharp.torch;

namespace SafetyNotebooks.Decoding;

/// <summary>
/// How one beam search turns the live beams' next-token logits into ranked continuations, and keeps the survivors'
/// rows: plain beam search ranks the top tokens by log-prob; Safe Beam Search looks one token ahead and filters
/// (<see cref="SafeBeamSearch.Survivors"/>). Created per run; it may hold the step's look-ahead tensor until
/// <see cref="Keep"/>.
/// </summary>
internal interface IBeamExpansion : IDisposable
{
    /// <summary>
    /// The continuations of each live prompt's beams, best first (null for a prompt that is done). <paramref name="logits"/>
    /// holds one row per live beam, prompts in order. Each continuation's <see cref="Continuation.Row"/> is what
    /// <see cref="Keep"/> needs to continue it.
    /// </summary>
    IReadOnlyList<Continuation>?[] Expand(CachedRows rows, Tensor logits, IReadOnlyList<Beam>[] beams, bool[] done);

    /// <summary>Keeps the cache rows of <paramref name="running"/> (in order) and returns their next-token logits.</summary>
    Tensor Keep(CachedRows rows, IReadOnlyList<Continuation> running);
}

/// <summary>
/// The beam loop shared by beam search and Safe Beam Search: prefill the prompts, then per step expand the live beams,
/// do Hugging Face's per-prompt bookkeeping (<see cref="BeamBookkeeping.Advance"/>), and keep the running beams' rows.
/// </summary>
internal static class BeamLoop
{
    public sealed record Settings(int Beams, Stopping Stopping, Func<ImmutableArray<int>, bool> Ends, double LengthPenalty, bool EarlyStopping);

    public static IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, Settings s,
        IBeamExpansion expansion, Func<FinishedPool, DecodingCost, GenerationResult> result)
    {
        var pools = prompts.Select(_ => FinishedPool.Empty(s.Beams)).ToArray();
        var beams = prompts.Select((_, p) => (IReadOnlyList<Beam>)[new Beam([], 0, p)]).ToArray();
        var done = new bool[prompts.Count];
        var (rows, logits) = CachedRows.Prefill(model, prompts);
        using (rows)
        using (expansion)
        {
            try
            {
                for (var step = 0; step < s.Stopping.MaxNewTokens; step++)
                {
                    var ranked = expansion.Expand(rows, logits, beams, done);
                    var running = Advance(ranked, step, s, pools, beams, done);
                    if (done.All(d => d)) break;
                    var next = expansion.Keep(rows, running);
                    logits.Dispose();
                    logits = next;
                }
            }
            finally { logits.Dispose(); }
            return pools.Select(pool => result(pool, rows.Cost)).ToArray();
        }
    }

    // The bookkeeping of one step for every live prompt; returns the running continuations of all prompts, in order,
    // and renumbers each prompt's beams to their rows in the next logits.
    static List<Continuation> Advance(IReadOnlyList<Continuation>?[] ranked, int step, Settings s, FinishedPool[] pools, IReadOnlyList<Beam>[] beams, bool[] done)
    {
        var all = new List<Continuation>();
        for (var p = 0; p < beams.Length; p++)
        {
            if (done[p]) continue;
            var (running, pool, isDone) = BeamBookkeeping.Advance(ranked[p]!, s.Beams, s.Ends, step + 1 == s.Stopping.MaxNewTokens,
                pools[p], step + 1, s.LengthPenalty, s.EarlyStopping);
            pools[p] = pool;
            done[p] = isDone;
            if (isDone) { beams[p] = []; continue; }
            var first = all.Count;
            beams[p] = running.Select((c, i) => new Beam(c.Tokens, c.LogProb, first + i)).ToArray();
            all.AddRange(running);
        }
        return all;
    }
}
