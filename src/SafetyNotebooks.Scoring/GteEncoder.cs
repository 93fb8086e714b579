using SafetyNotebooks.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafetyNotebooks.Scoring;

/// <summary>What the classifier computes for a batch: 6-class logits, the pooled first token, every layer's hidden states.</summary>
public sealed record GteOutput(Tensor Logits, Tensor Pooled, Tensor LastHidden, IReadOnlyList<Tensor> HiddenStates);

/// <summary>
/// NewForSequenceClassification: the gte-en-v1.5 encoder with a linear head over the pooled first token.
/// Parameter names equal the Hugging Face checkpoint's (<c>new.encoder.layer.0.attention.qkv_proj.weight</c>, <c>classifier.bias</c>…).
/// </summary>
public sealed class GteForSequenceClassification : nn.Module
{
    readonly GteModel @new;
    readonly Linear classifier;

    public GteConfig Config { get; }

    public GteForSequenceClassification(GteConfig config) : base("GteForSequenceClassification")
    {
        Config = config;
        @new = new GteModel(config);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        register_module("new", @new);
        register_module("classifier", classifier);
    }

    /// <summary>
    /// PyTorch's default initialisation scales (embeddings N(0, 1), linear weights U(±1/√fan_in)) with zero biases and
    /// unit LayerNorm scales, drawn from a private generator: a from-scratch model depends only on
    /// <paramref name="seed"/>, never on other users of the global RNG (tests and threads run side by side).
    /// </summary>
    public void InitializeWeights(long seed)
    {
        using var generator = new torch.Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var (name, p) in named_parameters().OrderBy(kv => kv.name, StringComparer.Ordinal))
        {
            using var scope = NewDisposeScope();
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (name.EndsWith("LayerNorm.weight", StringComparison.Ordinal) || name.EndsWith("_ln.weight", StringComparison.Ordinal)) p.fill_(1);
            else if (name.Contains("embeddings.", StringComparison.Ordinal)) p.copy_(randn(p.shape, ScalarType.Float32, generator: generator));
            else p.copy_((rand(p.shape, ScalarType.Float32, generator: generator) * 2 - 1) / Math.Sqrt(p.shape[1]));
        }
    }

    /// <summary>Parameters of the linear head only (the "LP" stage of LP-FT).</summary>
    public IEnumerable<Parameter> HeadParameters() => classifier.parameters();

    /// <summary>Forward pass; <paramref name="tokenTypeIds"/> defaults to zeros.</summary>
    public GteOutput Forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
    {
        var (pooled, last, states) = @new.Forward(inputIds, attentionMask, tokenTypeIds);
        return new GteOutput(classifier.forward(pooled), pooled, last, states);
    }

    /// <summary>Loads config.json and model.safetensors (or every model*.safetensors shard) from a Hugging Face folder.</summary>
    public static GteForSequenceClassification Load(string directory, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        if (!Directory.Exists(directory)) throw new BadInputException("model folder not found", directory);
        var config = GteConfig.Load(Path.Combine(directory, "config.json"));
        var files = Directory.GetFiles(directory, "*.safetensors").Where(f => Path.GetFileName(f).StartsWith("model")).Order().ToList();
        if (files.Count == 0) throw new BadInputException("no model*.safetensors in the folder (pickled .bin checkpoints are not loaded)", directory);
        var model = new GteForSequenceClassification(config);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var f in files)
                foreach (var (k, v) in Safetensors.Load(f, ScalarType.Float32)) tensors[k] = v;
            model.CopyWeights(tensors, files[0]);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        model.eval();
        return model.to(dtype).to(device ?? CPU);
    }

    /// <summary>Copies checkpoint tensors into the parameters; names without the "new." prefix (a bare NewModel) are accepted too.</summary>
    internal void CopyWeights(IReadOnlyDictionary<string, Tensor> tensors, string origin)
    {
        var state = state_dict();
        using var noGrad = no_grad();
        foreach (var (name, target) in state)
        {
            if (!tensors.TryGetValue(name, out var source) && !(name.StartsWith("new.") && tensors.TryGetValue(name[4..], out source)))
                throw new BadInputException("tensor missing from the checkpoint", origin, "tensor", name);
            if (!source.shape.SequenceEqual(target.shape))
                throw new BadInputException($"shape [{string.Join(",", source.shape)}] does not match the config's [{string.Join(",", target.shape)}]", origin, "tensor", name);
            target.copy_(source);
        }
    }

    /// <summary>Writes config.json and model.safetensors (float32) atomically into <paramref name="directory"/>.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        using var scope = NewDisposeScope();
        var cpu = state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(ScalarType.Float32).cpu());
        Safetensors.Save(Path.Combine(directory, "model.safetensors"), cpu);
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), Config.ToJson());
    }
}
