using System.Collections.Immutable;

namespace SafetyNotebooks.Decoding;

/// <summary>A live beam: its new tokens, the sum of their log-probs, and its row in the KV cache.</summary>
internal sealed record Beam(ImmutableArray<int> Tokens, double LogProb, long Row);

/// <summary>A continuation of a beam by one token: the parent, the token, the new cumulative log-prob, and the row that
/// will hold it in the cache (Safe Beam's look-ahead rows; plain beam search uses the parent's row).</summary>
internal sealed record Continuation(Beam Parent, int Token, double LogProb, long Row)
{
    public ImmutableArray<int> Tokens => Parent.Tokens.Add(Token);
}

/// <summary>
/// The finished hypotheses of one prompt, best first, at most <see cref="Capacity"/> (Hugging Face's BeamHypotheses):
/// a new one enters when the pool has room or it beats the worst; on equal scores the earlier one stays ahead.
/// </summary>
internal sealed record FinishedPool(int Capacity, ImmutableList<Hypothesis> Best)
{
    public static FinishedPool Empty(int capacity) => new(capacity, ImmutableList<Hypothesis>.Empty);
    public bool IsFull => Best.Count >= Capacity;

    public FinishedPool Add(Hypothesis h)
    {
        var at = Best.FindIndex(b => b.Score < h.Score);
        var merged = at < 0 ? Best.Add(h) : Best.Insert(at, h);
        return this with { Best = merged.Count > Capacity ? merged.RemoveAt(Capacity) : merged };
    }
}

/// <summary>The per-prompt end-of-step bookkeeping shared by beam search and Safe Beam Search, with Hugging Face's rules.</summary>
internal static class BeamBookkeeping
{
    /// <summary>HF's score of a finished beam: the log-prob sum divided by (new tokens)^length_penalty.</summary>
    public static double Score(double logProb, int newTokens, double lengthPenalty) =>
        lengthPenalty == 0 ? logProb : logProb / Math.Pow(newTokens, lengthPenalty);

    /// <summary>
    /// Given this step's continuations ranked best first: the first <paramref name="beams"/> that end (<paramref name="ends"/>,
    /// or every one on the last step) enter the finished pool; the best <paramref name="beams"/> that do not end keep
    /// running. Returns the running continuations, the new pool, and whether this prompt is done (nothing runs, or — with
    /// early stopping off — HF's heuristic: the pool is full and the best running beam, scored at its current length,
    /// cannot beat the worst finished one; with early stopping on, as soon as the pool is full).
    /// </summary>
    public static (IReadOnlyList<Continuation> Running, FinishedPool Pool, bool Done) Advance(
        IReadOnlyList<Continuation> ranked, int beams, Func<ImmutableArray<int>, bool> ends, bool lastStep,
        FinishedPool pool, int newTokens, double lengthPenalty, bool earlyStopping)
    {
        var running = new List<Continuation>(beams);
        for (var i = 0; i < ranked.Count; i++)
        {
            var c = ranked[i];
            var tokens = c.Tokens;
            var finished = lastStep || ends(tokens);
            if (finished)
            {
                // Only the top `beams` continuations may finish; the rest exist so that `beams` keep running.
                if (i < beams && !(earlyStopping && pool.IsFull))
                    pool = pool.Add(new Hypothesis(tokens, Score(c.LogProb, newTokens, lengthPenalty), c.LogProb));
            }
            else if (running.Count < beams)
                running.Add(c);
        }
        var done = lastStep || running.Count == 0 || (pool.IsFull && (earlyStopping ||
                   Score(running[0].LogProb, newTokens, lengthPenalty) <= pool.Best[^1].Score));
        return (running, pool, done);
    }
}
