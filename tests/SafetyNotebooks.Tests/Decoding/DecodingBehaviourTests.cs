using SafetyNotebooks.Decoding;

namespace SafetyNotebooks.Tests.Decoding;

public class DecodingBehaviourTests
{
    const int Vocab = 24;
    static readonly int[] Prompt = [3, 1, 4, 1, 5];

    [Fact]
    public void Greedy_stops_at_eos_and_includes_it()
    {
        var model = new FakeModel(Vocab, 3, eosBias: 2.5f);
        var r = Greedy.Run(model, Prompt, new GreedyOptions(Stopping.After(30, model.Eos)));
        Assert.Equal(model.Eos, r.Tokens[^1]);
        Assert.DoesNotContain(model.Eos, r.Tokens.Take(r.Tokens.Count - 1));
        Assert.True(r.Tokens.Count < 30);
    }

    [Fact]
    public void Beam_search_returns_finished_hypotheses_ranked_by_length_penalised_score()
    {
        var model = new FakeModel(Vocab, 5, eosBias: 2);
        var r = BeamSearch.Run(model, Prompt, new BeamSearchOptions(Stopping.After(12, model.Eos), Beams: 4, LengthPenalty: 1.0));
        Assert.Equal(4, r.Beams.Count);
        Assert.Contains(r.Beams, b => b.Tokens[^1] == model.Eos);
        foreach (var b in r.Beams)
        {
            Assert.Equal(b.LogProb / b.Tokens.Count, b.Score, 1e-9);
            Assert.Equal(b.LogProb, Score(model, b.Tokens), 1e-4);
        }
        Assert.Equal(r.Beams.OrderByDescending(b => b.Score).Select(b => b.Score), r.Beams.Select(b => b.Score));
        var two = BeamSearch.Run(model, Prompt, new BeamSearchOptions(Stopping.After(12, model.Eos), Beams: 4, NumReturnSequences: 2));
        Assert.Equal(r.Beams.Take(2).Select(b => b.Tokens), two.Beams.Select(b => b.Tokens));
    }

    // The sum of the model's log-probs of the continuation, computed directly from the fake model.
    static double Score(FakeModel model, IReadOnlyList<int> tokens)
    {
        var sequence = Prompt.ToList();
        double total = 0;
        foreach (var t in tokens)
        {
            var logits = model.LogitsAfter(sequence);
            var max = logits.Max();
            total += logits[t] - max - Math.Log(logits.Sum(l => Math.Exp(l - max)));
            sequence.Add(t);
        }
        return total;
    }

    [Fact]
    public void Sampling_is_reproducible_per_seed_and_top_k_one_is_greedy()
    {
        var model = new FakeModel(Vocab, 11);
        var stopping = Stopping.After(15);
        var a = Sampling.Run(model, Prompt, new SamplingOptions(stopping, Seed: 42));
        Assert.Equal(a.Tokens, Sampling.Run(model, Prompt, new SamplingOptions(stopping, Seed: 42)).Tokens);
        Assert.NotEqual(a.Tokens, Sampling.Run(model, Prompt, new SamplingOptions(stopping, Seed: 43)).Tokens);
        Assert.Equal(Greedy.Run(model, Prompt, new GreedyOptions(stopping)).Tokens, Sampling.Run(model, Prompt, new SamplingOptions(stopping, Seed: 1, TopK: 1)).Tokens);
        Assert.Equal(Greedy.Run(model, Prompt, new GreedyOptions(stopping)).Tokens, Sampling.Run(model, Prompt, new SamplingOptions(stopping, Seed: 1, TopK: 0, TopP: 1e-6)).Tokens);
    }

    [Fact]
    public void Stop_strings_end_a_continuation_at_the_completing_token()
    {
        var model = new FakeModel(Vocab, 2);
        var tokenizer = new LetterTokenizer(Vocab);
        var free = Greedy.Run(model, Prompt, new GreedyOptions(Stopping.After(20))).Tokens;
        var stop = tokenizer.Decode(free.Skip(4).Take(2));
        var stopped = Greedy.Run(model, Prompt, new GreedyOptions(new Stopping(20, [], new StopStrings(tokenizer, [stop]))));
        var first = tokenizer.Decode(free).IndexOf(stop, StringComparison.Ordinal);
        Assert.Equal(free.Take(first + 2), stopped.Tokens);
    }

    [Fact]
    public void Invalid_options_are_bad_input()
    {
        var model = new FakeModel(Vocab, 1);
        Assert.Throws<BadInputException>(() => SafeBeamSearch.Run(model, Prompt, new SafeBeamOptions(Stopping.After(3), model.Tag, Beams: 4, Candidates: 3)));
        Assert.Throws<BadInputException>(() => SafeBeamSearch.Run(model, Prompt, new SafeBeamOptions(Stopping.After(3), Vocab, Beams: 2)));
        Assert.Throws<BadInputException>(() => SafeBeamSearch.Run(model, Prompt, new SafeBeamOptions(Stopping.After(3), model.Tag, Beams: 0)));
        Assert.Throws<BadInputException>(() => SafeBeamSearch.Run(model, Prompt, new SafeBeamOptions(Stopping.After(3), model.Tag, Discard: 1)));
        Assert.Throws<BadInputException>(() => BeamSearch.Run(model, Prompt, new BeamSearchOptions(Stopping.After(0))));
        Assert.Throws<BadInputException>(() => BeamSearch.Run(model, Prompt, new BeamSearchOptions(Stopping.After(3), Beams: 2, NumReturnSequences: 3)));
        Assert.Throws<BadInputException>(() => Greedy.Run(model, [1, Vocab], new GreedyOptions(Stopping.After(3))));
        Assert.Throws<BadInputException>(() => Sampling.Run(model, Prompt, new SamplingOptions(Stopping.After(3), Seed: 0, Temperature: 0)));
    }
}
