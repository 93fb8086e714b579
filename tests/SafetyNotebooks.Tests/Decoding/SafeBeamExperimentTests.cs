using SafetyNotebooks.Decoding;

namespace SafetyNotebooks.Tests.Decoding;

public class SafeBeamExperimentTests
{
    [Fact]
    public void Experiment_compares_plain_and_safe_beam_on_the_fixture()
    {
        var cases = LlamaFixture.Cases();
        var r = Experiments.SafeBeamSearch(new Experiments.SafeBeamSearchOptions(LlamaFixture.Dir,
            cases.Select(c => (IReadOnlyList<int>)c.Prompt).ToArray(), MaxNewTokens: 10, NaiveSteps: 2, Device: "cpu"));
        Assert.Equal(LlamaFixture.Tag, r.TagTokenId);
        foreach (var (c, comparison) in cases.Zip(r.Comparisons))
        {
            Assert.Equal(c.SafeTokens, comparison.Safe.Tokens);
            Assert.Equal(10, comparison.SafeTagProbability.Count);
            // each reported p(tag) is softmax(next logits)[tag] after prompt + the first t new tokens, recomputed here
            // prefix by prefix (one forward per prefix, its last row), independently of the experiment's single pass
            for (var t = 1; t <= comparison.Safe.Tokens.Count; t++)
                Assert.Equal(TagAfter(comparison.Prompt.Concat(comparison.Safe.Tokens.Take(t))), comparison.SafeTagProbability[t - 1], 1e-5);
            for (var t = 1; t <= comparison.Plain.Tokens.Count; t++)
                Assert.Equal(TagAfter(comparison.Prompt.Concat(comparison.Plain.Tokens.Take(t))), comparison.PlainTagProbability[t - 1], 1e-5);
        }
        // the tag probability along a continuation is the look-ahead Safe Beam computed for it (softmax of the next logits)
        var model = LlamaFixture.Model;
        var first = r.Comparisons[0];
        var direct = Experiments.TagProbabilities(model, first.Prompt, first.Safe.Tokens.Take(1).ToArray(), LlamaFixture.Tag);
        Assert.Equal(first.SafeTagProbability[0], direct[0], 1e-6);
        Assert.Equal(["greedy", "beam search (k=4)", "Safe Beam (k=4, n=8)", "naive Safe Beam (2 tokens)"], r.Cost.Select(c => c.Decoder));
        Assert.Equal(1 + 10, r.Cost[2].ForwardPasses);
        Assert.True(r.Cost[3].ForwardPasses > r.Cost[2].ForwardPasses);
        Assert.Equal(4, r.CostTable.Rows.Count);
    }

    [Fact]
    public async Task Experiment_command_runs_on_the_fixture()
    {
        var r = await Foundation.CliRunner.RunAsync("experiment", "safe-beam-search", "--model", LlamaFixture.Dir, "--ids", "1,17,42,99,5", "--max-new-tokens", "4", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("\"safe_beam\"", r.Out);
    }

    [Fact]
    public async Task Generate_command_loads_the_folder_with_the_toolkit_loader()
    {
        var r = await Foundation.CliRunner.RunAsync("generate", "--model", LlamaFixture.Dir, "--ids", "1,17,42,99,5", "--strategy", "greedy", "--max-new-tokens", "20", "--eos-id", "none", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("\"tokens\":[" + string.Join(",", LlamaFixture.Cases()[0].Greedy) + "]", r.Out);
    }

    static double TagAfter(IEnumerable<int> sequence)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var inference = TorchSharp.torch.no_grad();
        var ids = sequence.Select(x => (long)x).ToArray();
        var last = LlamaFixture.Model.Forward(TorchSharp.torch.tensor(ids, [1, ids.Length]))[0, -1];
        return last.softmax(0)[LlamaFixture.Tag].item<float>();
    }
}
