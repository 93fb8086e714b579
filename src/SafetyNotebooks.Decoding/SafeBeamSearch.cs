using System.Collections.Immutable;
using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Decoding;

/// <summary>
/// Safe Beam Search settings. <see cref="Beams"/> k; <see cref="Candidates"/> n per beam (default 2k);
/// <see cref="Discard"/>: the share of the pooled candidates dropped as riskiest (0.5 drops count/2, integer division);
/// <see cref="TagTokenId"/>: the harmfulness tag, never a candidate unless <see cref="ShortCircuit"/>, in which case
/// choosing it ends that beam. <see cref="LengthPenalty"/> 0 by default: Algorithm 2 ranks by the plain log-prob sum.
/// </summary>
public sealed record SafeBeamOptions(
    Stopping Stopping, int TagTokenId, int Beams = DecodingDefaults.Beams, int? Candidates = null, double Discard = DecodingDefaults.Discard,
    double LengthPenalty = DecodingDefaults.SafeBeamLengthPenalty, bool EarlyStopping = false, bool ShortCircuit = false, int? NumReturnSequences = null)
{
    public int CandidatesPerBeam => Candidates ?? 2 * Beams;

    internal void Validate(long vocabSize)
    {
        const string origin = "safe beam options";
        Stopping.Validate(vocabSize);
        if (Beams < 1) throw new BadInputException("must be at least 1", origin, "beams", Beams.ToString());
        if (CandidatesPerBeam < Beams) throw new BadInputException($"must be at least the number of beams ({Beams})", origin, "candidates", CandidatesPerBeam.ToString());
        if (CandidatesPerBeam >= vocabSize) throw new BadInputException($"must be below the vocabulary size ({vocabSize})", origin, "candidates", CandidatesPerBeam.ToString());
        if (!(Discard >= 0 && Discard < 1)) throw new BadInputException("must be in [0, 1)", origin, "discard", Discard.ToString("R"));
        if (TagTokenId < 0 || TagTokenId >= vocabSize) throw new BadInputException($"not in the vocabulary (size {vocabSize})", origin, "tag_token_id", TagTokenId.ToString());
        if (Stopping.EosTokenIds.Contains(TagTokenId)) throw new BadInputException("the tag cannot also be an end-of-sequence token", origin, "tag_token_id", TagTokenId.ToString());
        if (NumReturnSequences is { } n && (n < 1 || n > Beams))
            throw new BadInputException($"must be between 1 and the number of beams ({Beams})", origin, "num_return_sequences", n.ToString());
        if (!double.IsFinite(LengthPenalty)) throw new BadInputException("must be a finite number", origin, "length_penalty", LengthPenalty.ToString("R"));
    }
}

/// <summary>A pooled candidate of one Safe Beam step: its cumulative log-prob and the look-ahead tag probability.</summary>
public readonly record struct SafeBeamCandidate(double LogProb, double TagProbability);

/// <summary>
/// Safe Beam Search (PAPER.md §2, Algorithm 2, "Safe Beam Search with Harmfulness Filtering"):
/// <code>
/// for each step:
///   for each beam y: its top-n next tokens t (the tag excluded), y' = y + t, logp(y') = logp(y) + log f(t | y)
///                    p_tag(y') = f(tag | y')                       (one-token look-ahead)
///   pool C = all y' (beam order, then top-n order)
///   drop the riskiest share of C by p_tag                          (stable sort ascending, keep |C| - |C|/2)
///   beams = top k of the rest by logp                              (stable sort descending)
/// return the beam with the highest logp
/// </code>
/// One forward pass per step: each beam's cache rows are repeated n times and the k·n candidate tokens run as one
/// batch. Its output is both every candidate's look-ahead (for p_tag) and, for the k kept candidates, the next step's
/// expansion distribution — so Safe Beam costs one k·n-row forward per step where plain beam search costs one k-row
/// forward. End-of-sequence tokens and stop strings end beams as in Hugging Face beam search (only the top k survivors
/// may finish; finished beams enter a pool of k). <see cref="NaiveSafeBeamSearch"/> is the literal version, used to
/// check this one.
/// </summary>
public static class SafeBeamSearch
{
    /// <summary>
    /// The filter of one step over the pooled candidates: indices of the survivors, best log-prob first. Drops
    /// floor(count·discard) candidates with the highest tag probability (stable: on equal p_tag the earlier candidate is
    /// less risky), then orders the rest by log-prob, descending (stable).
    /// </summary>
    public static IReadOnlyList<int> Survivors(IReadOnlyList<SafeBeamCandidate> pool, double discard)
    {
        var keep = pool.Count - (int)Math.Floor(pool.Count * discard);
        return Enumerable.Range(0, pool.Count)
            .OrderBy(i => pool[i].TagProbability)
            .Take(keep)
            .OrderByDescending(i => pool[i].LogProb)
            .ToArray();
    }

    public static GenerationResult Run(ICausalLanguageModel model, IReadOnlyList<int> prompt, SafeBeamOptions options) =>
        Run(model, [prompt], options)[0];

    /// <summary>Decodes a batch of prompts of any lengths (left-padded together); one result per prompt.</summary>
    public static IReadOnlyList<GenerationResult> Run(ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, SafeBeamOptions options)
    {
        using var inference = Inference.Mode();
        Prompts.Validate(prompts, model.VocabSize);
        options.Validate(model.VocabSize);
        var returned = options.NumReturnSequences ?? options.Beams;
        return BeamLoop.Run(model, prompts, new BeamLoop.Settings(options.Beams, options.Stopping, t => Ends(t, options), options.LengthPenalty, options.EarlyStopping),
            new LookAhead(options), (pool, cost) => Result(pool, returned, options, cost));
    }

    /// <summary>
    /// Safe Beam's expansion: every live beam's top n tokens (the tag excluded unless short-circuiting), its cache row
    /// repeated n times (row r·n + j = candidate j of beam r), one look-ahead forward over all k·n candidates for
    /// p_tag, and <see cref="Survivors"/> as the ranking. The kept candidates' look-ahead logits are the next step's.
    /// </summary>
    sealed class LookAhead(SafeBeamOptions options) : IBeamExpansion
    {
        readonly int n = options.CandidatesPerBeam;
        Tensor? lookahead;

        public IReadOnlyList<Continuation>?[] Expand(CachedRows rows, Tensor logits, IReadOnlyList<Beam>[] beams, bool[] done)
        {
            var (logProbs, ids) = Host.TopLogProbs(logits, n, options.ShortCircuit ? null : options.TagTokenId);
            rows.Select(Enumerable.Range(0, (int)logits.shape[0]).SelectMany(r => Enumerable.Repeat((long)r, n)).ToArray());
            lookahead?.Dispose();
            lookahead = rows.Step(ids);
            var tagProbability = TagProbability(lookahead, options.TagTokenId);
            var ranked = new IReadOnlyList<Continuation>?[beams.Length];
            var row = 0;
            for (var p = 0; p < beams.Length; p++)
            {
                if (done[p]) continue;
                var candidates = new List<Continuation>(beams[p].Count * n);
                var scored = new List<SafeBeamCandidate>(beams[p].Count * n);
                foreach (var beam in beams[p])
                {
                    for (var j = 0; j < n; j++)
                    {
                        var at = row * n + j;
                        candidates.Add(new Continuation(beam, (int)ids[at], beam.LogProb + logProbs[at], at));
                        scored.Add(new SafeBeamCandidate(beam.LogProb + logProbs[at], tagProbability[at]));
                    }
                    row++;
                }
                ranked[p] = Survivors(scored, options.Discard).Select(i => candidates[i]).ToArray();
            }
            return ranked;
        }

        // The survivors' rows: their look-ahead logits are the next step's expansion distributions.
        public Tensor Keep(CachedRows rows, IReadOnlyList<Continuation> running)
        {
            var kept = running.Select(c => c.Row).ToArray();
            rows.Select(kept);
            return lookahead!.index_select(0, tensor(kept, device: lookahead.device));
        }

        public void Dispose()
        {
            lookahead?.Dispose();
            lookahead = null;
        }
    }

    internal static bool Ends(ImmutableArray<int> tokens, SafeBeamOptions options) =>
        (options.ShortCircuit && tokens[^1] == options.TagTokenId) || options.Stopping.Hits(tokens);

    internal static GenerationResult Result(FinishedPool pool, int returned, SafeBeamOptions options, DecodingCost cost)
    {
        var best = pool.Best.Take(returned).ToArray();
        return new GenerationResult(best, options.ShortCircuit && best[0].Tokens.Count > 0 && best[0].Tokens[^1] == options.TagTokenId, cost);
    }

    /// <summary>softmax(logits)[:, tag] for each row, computed from the tag's logit and the row's log-sum-exp.</summary>
    internal static float[] TagProbability(Tensor logits, int tag)
    {
        using var scope = NewDisposeScope();
        return Host.Floats((logits[TensorIndex.Colon, tag] - logits.logsumexp(1)).exp());
    }
}
