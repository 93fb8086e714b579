using SafetyNotebooks.Decoding;
using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Tests.Decoding;

/// <summary>
/// Decoding runs in inference mode by construction: no decoding step records an autograd graph, even on a model
/// whose parameters require gradients (as <see cref="LlamaModel.Create"/> leaves them for training), and models
/// loaded for inference have no parameter that requires a gradient.
/// </summary>
public class InferenceModeTests
{
    static readonly LlamaConfig Tiny = new(64, 16, 32, 2, 2, 1, 8, 10000, 1e-5, false, 64, 0, 1);

    /// <summary>Forwards to a model and records, per forward pass, whether its logits are part of a graph.</summary>
    sealed class GraphSpy(ICausalLanguageModel inner) : ICausalLanguageModel
    {
        public List<bool> RequiresGrad { get; } = [];
        public long VocabSize => inner.VocabSize;
        public Device Device => inner.Device;
        public KvCache CreateCache() => inner.CreateCache();

        public Tensor Forward(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null)
        {
            var logits = inner.Forward(inputIds, positionIds, attentionMask, cache);
            RequiresGrad.Add(logits.requires_grad);
            return logits;
        }
    }

    static readonly IReadOnlyList<IReadOnlyList<int>> Prompts = [[1, 2, 3], [4, 5]];

    public static TheoryData<string> Strategies => new() { "greedy", "sample", "beam", "safe-beam", "naive-safe-beam" };

    static void Decode(string strategy, ICausalLanguageModel model)
    {
        var stopping = Stopping.After(4);
        _ = strategy switch
        {
            "greedy" => Greedy.Run(model, Prompts, new GreedyOptions(stopping)),
            "sample" => Sampling.Run(model, Prompts, new SamplingOptions(stopping, Seed: 3)),
            "beam" => BeamSearch.Run(model, Prompts, new BeamSearchOptions(stopping, Beams: 2)),
            "safe-beam" => SafeBeamSearch.Run(model, Prompts, new SafeBeamOptions(stopping, TagTokenId: 63, Beams: 2)),
            _ => [NaiveSafeBeamSearch.Run(model, Prompts[0], new SafeBeamOptions(stopping, TagTokenId: 63, Beams: 2))],
        };
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void No_decoding_step_builds_a_graph(string strategy)
    {
        using var model = LlamaModel.Create(Tiny, seed: 5);
        Assert.True(model.parameters().All(p => p.requires_grad)); // the model a training run would get
        var spy = new GraphSpy(model);
        Decode(strategy, spy);
        Assert.True(spy.RequiresGrad.Count >= 4, $"{spy.RequiresGrad.Count} forward passes");
        Assert.All(spy.RequiresGrad, Assert.False);
    }

    [Fact]
    public void The_spy_sees_a_graph_outside_inference_mode()
    {
        // the control: the same forward outside decoding does record one, so the test above can fail
        using var model = LlamaModel.Create(Tiny, seed: 5);
        var spy = new GraphSpy(model);
        using var scope = NewDisposeScope();
        spy.Forward(tensor(new long[] { 1, 2, 3 }, [1, 3]));
        Assert.Equal([true], spy.RequiresGrad);
    }

    [Fact]
    public void Models_loaded_for_inference_require_no_gradients()
    {
        var local = LocalModels.Load(LlamaFixture.Dir, "cpu");
        var model = Assert.IsType<LlamaForCausalLM>(local.Model);
        Assert.NotEmpty(model.parameters());
        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
    }
}
