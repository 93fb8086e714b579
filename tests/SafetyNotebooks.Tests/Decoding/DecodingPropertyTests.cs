using FsCheck;
using FsCheck.Xunit;
using SafetyNotebooks.Decoding;

namespace SafetyNotebooks.Tests.Decoding;

/// <summary>Invariants of the decoders on a deterministic fake model (fast; many random models and prompts).</summary>
public class DecodingPropertyTests
{
    const int Vocab = 24;

    static int[] Prompt(int seed, int length) => Enumerable.Range(0, length).Select(i => (seed * 13 + i * 5) % (Vocab - 2)).ToArray();

    static IReadOnlyList<int>[] Prompts(int seed) => [Prompt(seed, 3), Prompt(seed + 1, 6), Prompt(seed + 2, 1)];

    static int[][] Tokens(GenerationResult r) => r.Beams.Select(b => b.Tokens.ToArray()).ToArray();

    [Property(MaxTest = 25)]
    public void One_beam_is_greedy(PositiveInt seed, PositiveInt steps)
    {
        var model = new FakeModel(Vocab, seed.Get);
        var stopping = Stopping.After(1 + steps.Get % 8);
        var greedy = Greedy.Run(model, Prompt(seed.Get, 4), new GreedyOptions(stopping));
        var beam = BeamSearch.Run(model, Prompt(seed.Get, 4), new BeamSearchOptions(stopping, Beams: 1, LengthPenalty: 0));
        Assert.Equal(greedy.Tokens, beam.Tokens);
        Assert.Equal(greedy.LogProb, beam.LogProb, 1e-4);
    }

    [Property(MaxTest = 25)]
    public void Safe_beam_without_discard_and_n_equal_k_is_beam_search(PositiveInt seed, PositiveInt beams)
    {
        // A model that never emits the tag: then excluding it from the candidates changes nothing.
        var model = new FakeModel(Vocab, seed.Get, tagBias: -1e4f);
        var k = 1 + beams.Get % 4;
        var stopping = Stopping.After(6);
        var beam = BeamSearch.Run(model, Prompt(seed.Get, 3), new BeamSearchOptions(stopping, Beams: k, LengthPenalty: 0));
        var safe = SafeBeamSearch.Run(model, Prompt(seed.Get, 3), new SafeBeamOptions(stopping, model.Tag, Beams: k, Candidates: k, Discard: 0));
        Assert.Equal(Tokens(beam), Tokens(safe));
        foreach (var (b, s) in beam.Beams.Zip(safe.Beams)) Assert.Equal(b.Score, s.Score, 1e-4);
    }

    [Property(MaxTest = 20)]
    public void Safe_beam_never_chooses_the_tag_unless_short_circuiting(PositiveInt seed)
    {
        var model = new FakeModel(Vocab, seed.Get, tagBias: 8);   // the tag is by far the most likely token
        var options = new SafeBeamOptions(Stopping.After(5), model.Tag, Beams: 3);
        var safe = SafeBeamSearch.Run(model, Prompt(seed.Get, 3), options);
        Assert.All(safe.Beams, b => Assert.DoesNotContain(model.Tag, b.Tokens));
        Assert.False(safe.ShortCircuited);

        var shortCircuit = SafeBeamSearch.Run(model, Prompt(seed.Get, 3), options with { ShortCircuit = true });
        Assert.True(shortCircuit.ShortCircuited);
        Assert.Equal(model.Tag, shortCircuit.Tokens[^1]);
        Assert.All(shortCircuit.Beams, b => Assert.DoesNotContain(model.Tag, b.Tokens.Take(b.Tokens.Count - 1)));
    }

    [Property(MaxTest = 15)]
    public void Cached_safe_beam_equals_the_naive_reference(PositiveInt seed, bool withEos, bool shortCircuit)
    {
        var model = new FakeModel(Vocab, seed.Get, tagBias: seed.Get % 3, eosBias: withEos ? 1.5f : float.NaN);
        var options = new SafeBeamOptions(withEos ? Stopping.After(6, model.Eos) : Stopping.After(6), model.Tag, Beams: 3, Candidates: 4,
            LengthPenalty: withEos ? 1.0 : 0.0, ShortCircuit: shortCircuit);
        var cached = SafeBeamSearch.Run(model, Prompt(seed.Get, 4), options);
        var naive = NaiveSafeBeamSearch.Run(model, Prompt(seed.Get, 4), options);
        Assert.Equal(Tokens(naive), Tokens(cached));
        foreach (var (n, c) in naive.Beams.Zip(cached.Beams)) Assert.Equal(n.Score, c.Score, 1e-4);
        Assert.Equal(naive.ShortCircuited, cached.ShortCircuited);
        Assert.True(cached.Cost.ForwardPasses < naive.Cost.ForwardPasses);
    }

    [Property(MaxTest = 15)]
    public void A_left_padded_batch_decodes_like_each_prompt_alone(PositiveInt seed)
    {
        var model = new FakeModel(Vocab, seed.Get, eosBias: 1);
        var stopping = Stopping.After(5, model.Eos);
        var prompts = Prompts(seed.Get);
        void Same(Func<IReadOnlyList<IReadOnlyList<int>>, IReadOnlyList<GenerationResult>> run)
        {
            var batch = run(prompts);
            for (var p = 0; p < prompts.Length; p++) Assert.Equal(Tokens(run([prompts[p]])[0]), Tokens(batch[p]));
        }
        Same(ps => Greedy.Run(model, ps, new GreedyOptions(stopping)));
        // Sampling: prompt i draws from its own generator (seed, i), so its result ignores the other prompts of the batch.
        var sampling = new SamplingOptions(stopping, Seed: seed.Get, Temperature: 0.8, TopK: 10, TopP: 0.9);
        var sampled = Sampling.Run(model, prompts, sampling);
        for (var p = 0; p < prompts.Length; p++)
        {
            var others = prompts.Select((q, i) => i == p ? q : Prompt(seed.Get + 7 * i + 3, 2 + i)).ToArray();
            Assert.Equal(sampled[p].Tokens, Sampling.Run(model, others, sampling)[p].Tokens);
        }
        Same(ps => BeamSearch.Run(model, ps, new BeamSearchOptions(stopping, Beams: 3)));
        Same(ps => SafeBeamSearch.Run(model, ps, new SafeBeamOptions(stopping, model.Tag, Beams: 2)));
    }

    [Property(MaxTest = 50)]
    public void Survivors_drop_the_riskiest_share_and_rank_by_log_prob(NonEmptyArray<NormalFloat> logProbs, PositiveInt riskSeed, bool half)
    {
        var random = new Random(riskSeed.Get);
        var pool = logProbs.Get.Select(l => new SafeBeamCandidate(l.Get, random.Next(4) / 4.0)).ToArray();   // ties in p_tag happen
        var discard = half ? 0.5 : 0.25;
        var survivors = SafeBeamSearch.Survivors(pool, discard);
        Assert.Equal(pool.Length - (int)Math.Floor(pool.Length * discard), survivors.Count);
        Assert.Equal(survivors.Count, survivors.Distinct().Count());
        var dropped = Enumerable.Range(0, pool.Length).Except(survivors).ToArray();
        foreach (var s in survivors)
            foreach (var d in dropped)
                Assert.True(pool[s].TagProbability < pool[d].TagProbability || (pool[s].TagProbability == pool[d].TagProbability && s < d));
        for (var i = 1; i < survivors.Count; i++)
        {
            var (a, b) = (pool[survivors[i - 1]], pool[survivors[i]]);
            // equal log-probs keep their order from the risk sort (p_tag ascending, then pool order)
            Assert.True(a.LogProb > b.LogProb || (a.LogProb == b.LogProb &&
                (a.TagProbability < b.TagProbability || (a.TagProbability == b.TagProbability && survivors[i - 1] < survivors[i]))));
        }
    }
}
