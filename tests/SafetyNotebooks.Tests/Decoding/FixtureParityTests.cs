using System.Text.Json;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Tests.Decoding;

/// <summary>Decoding parity with Hugging Face on the llama-a fixture: greedy, beam search (4 sequences, scores within
/// 1e-4), Safe Beam Search (best tokens, log-prob and all final beams), cached and naive, single and batched.</summary>
public class FixtureParityTests
{
    static readonly IReadOnlyList<LlamaCase> Cases = LlamaFixture.Cases();
    static ICausalLanguageModel Model => LlamaFixture.Model;

    [Fact]
    public void Loaded_model_reproduces_the_fixture_logits()
    {
        foreach (var c in Cases)
        {
            using var scope = NewDisposeScope();
            var logits = Model.Forward(tensor(c.Prompt.Select(t => (long)t).ToArray(), [1, c.Prompt.Length]));
            var expected = tensor(c.Logits.SelectMany(r => r).ToArray(), [1, c.Prompt.Length, c.Logits[0].Length]);
            Assert.True((logits - expected).abs().max().item<float>() < 1e-4f);
        }
    }

    [Fact]
    public void Greedy_matches_transformers()
    {
        foreach (var c in Cases)
            Assert.Equal(c.Greedy, Greedy.Run(Model, c.Prompt, new GreedyOptions(Stopping.After(20))).Tokens);
    }

    [Fact]
    public void Greedy_on_a_left_padded_batch_matches_each_prompt_alone()
    {
        var results = Greedy.Run(Model, Cases.Select(c => (IReadOnlyList<int>)c.Prompt).ToArray(), new GreedyOptions(Stopping.After(20)));
        Assert.Equal(Cases.Select(c => c.Greedy), results.Select(r => r.Tokens.ToArray()));
    }

    [Fact]
    public void Beam_search_matches_transformers_sequences_and_scores()
    {
        foreach (var c in Cases)
            AssertBeam4(c, BeamSearch.Run(Model, c.Prompt, new BeamSearchOptions(Stopping.After(12), Beams: 4, LengthPenalty: 0)));
    }

    [Fact]
    public void Beam_search_on_a_left_padded_batch_matches_transformers()
    {
        var results = BeamSearch.Run(Model, Cases.Select(c => (IReadOnlyList<int>)c.Prompt).ToArray(), new BeamSearchOptions(Stopping.After(12), Beams: 4, LengthPenalty: 0));
        foreach (var (c, r) in Cases.Zip(results)) AssertBeam4(c, r);
    }

    static void AssertBeam4(LlamaCase c, GenerationResult r)
    {
        Assert.Equal(c.Beam4, r.Beams.Select(b => b.Tokens.ToArray()));
        foreach (var (expected, actual) in c.Beam4Scores.Zip(r.Beams)) Assert.Equal(expected, actual.Score, 1e-4);
    }

    static SafeBeamOptions SafeOptions => new(Stopping.After(10), LlamaFixture.Tag, Beams: 4, Candidates: 8);

    [Fact]
    public void Safe_beam_search_matches_the_reference_semantics()
    {
        foreach (var c in Cases) AssertSafe(c, SafeBeamSearch.Run(Model, c.Prompt, SafeOptions));
    }

    [Fact]
    public void Safe_beam_search_on_a_left_padded_batch_matches_the_reference()
    {
        var results = SafeBeamSearch.Run(Model, Cases.Select(c => (IReadOnlyList<int>)c.Prompt).ToArray(), SafeOptions);
        foreach (var (c, r) in Cases.Zip(results)) AssertSafe(c, r);
    }

    [Fact]
    public void Naive_safe_beam_search_gives_the_cached_result_with_many_more_forward_passes()
    {
        var options = new SafeBeamOptions(Stopping.After(4), LlamaFixture.Tag, Beams: 2, Candidates: 3);
        var naive = NaiveSafeBeamSearch.Run(Model, Cases[1].Prompt, options);
        var cached = SafeBeamSearch.Run(Model, Cases[1].Prompt, options);
        Assert.Equal(naive.Beams.Select(b => b.Tokens.ToArray()), cached.Beams.Select(b => b.Tokens.ToArray()));
        foreach (var (n, c) in naive.Beams.Zip(cached.Beams)) Assert.Equal(n.LogProb, c.LogProb, 1e-4);
        // one k·n-row forward per step after the prefill, against k + k·n uncached forwards per step
        Assert.Equal(1 + 4, cached.Cost.ForwardPasses);
        Assert.Equal((1 + 3) + 3 * (2 + 2 * 3), naive.Cost.ForwardPasses);
    }

    static void AssertSafe(LlamaCase c, GenerationResult r)
    {
        Assert.Equal(c.SafeTokens, r.Tokens);
        Assert.Equal(c.SafeLogProb, r.LogProb, 1e-4);
        Assert.Equal(c.SafeBeams.Select(b => b.Tokens), r.Beams.Select(b => b.Tokens.ToArray()));
        foreach (var (expected, actual) in c.SafeBeams.Zip(r.Beams)) Assert.Equal(expected.LogProb, actual.LogProb, 1e-4);
        Assert.DoesNotContain(r.Beams, b => b.Tokens.Contains(LlamaFixture.Tag));
        Assert.False(r.ShortCircuited);
    }
}
