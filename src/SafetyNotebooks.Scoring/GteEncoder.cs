using SafetyNotebooks.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafetyNotebooks.Scoring;

/// <summary>What the classifier computes for a batch: 6-class logits, the pooled first token, every layer's hidden states.</summary>
public sealed record GteOutput(Tensor Logits, Tensor Pooled, Tensor LastHidden, IReadOnlyList<Tensor> HiddenStates);

/// <summary>
/// RoPE of the "new" architecture. With NTK scaling the frequencies are always the scaled ones, whatever the input
/// length: inv_freq[j] = (θ·f)^(-2j/d) / f^(2/d). Cosines and sines repeat the half-size angles ([a | a]).
/// </summary>
public static class GteRope
{
    public static double[] InverseFrequencies(int headDim, double theta, double? ntkFactor) =>
        Enumerable.Range(0, headDim / 2).Select(j => ntkFactor is { } f
            ? Math.Pow(theta * f, -2.0 * j / headDim) / Math.Pow(f, 2.0 / headDim)
            : Math.Pow(theta, -2.0 * j / headDim)).ToArray();

    /// <summary>cos and sin of shape [T, d] for positions 0..T-1 (padded rows use the same positions).</summary>
    public static (Tensor Cos, Tensor Sin) Table(int length, double[] inverseFrequencies, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var inv = tensor(inverseFrequencies.Select(x => (float)x).ToArray(), device: device);
        var angles = outer(arange(length, float32, device), inv);
        var emb = cat([angles, angles], -1);
        return (emb.cos().to(dtype).MoveToOuterDisposeScope(), emb.sin().to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Rotates <paramref name="x"/> of shape [B, H, T, d]: the Llama model's <see cref="Rope.Apply"/>.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin) => Rope.Apply(x, cos, sin);
}

/// <summary>word (+ token type) embeddings, then LayerNorm; the architecture has no absolute positions.</summary>
public sealed class GteEmbeddings : nn.Module
{
    readonly Embedding word_embeddings;
    readonly Embedding? token_type_embeddings;
    readonly LayerNorm LayerNorm;

    public GteEmbeddings(GteConfig c) : base("GteEmbeddings")
    {
        word_embeddings = nn.Embedding(c.VocabSize, c.HiddenSize);
        register_module("word_embeddings", word_embeddings);
        if (c.TypeVocabSize > 0)
        {
            token_type_embeddings = nn.Embedding(c.TypeVocabSize, c.HiddenSize);
            register_module("token_type_embeddings", token_type_embeddings);
        }
        LayerNorm = nn.LayerNorm([c.HiddenSize], c.LayerNormEps);
        register_module("LayerNorm", LayerNorm);
    }

    public Tensor Forward(Tensor inputIds, Tensor? tokenTypeIds)
    {
        var x = word_embeddings.forward(inputIds);
        if (token_type_embeddings is not null)
            x = x + token_type_embeddings.forward(tokenTypeIds ?? zeros_like(inputIds));
        return LayerNorm.forward(x);
    }
}

/// <summary>Self-attention with one packed [q | k | v] projection and RoPE on q and k.</summary>
public sealed class GteAttention : nn.Module
{
    readonly Linear qkv_proj, o_proj;
    readonly int heads, headDim;

    public GteAttention(GteConfig c) : base("GteAttention")
    {
        heads = c.NumHeads;
        headDim = c.HeadDim;
        qkv_proj = nn.Linear(c.HiddenSize, 3 * c.HiddenSize);
        o_proj = nn.Linear(c.HiddenSize, c.HiddenSize);
        register_module("qkv_proj", qkv_proj);
        register_module("o_proj", o_proj);
    }

    /// <param name="keep">[B, 1, 1, T] boolean: true where a key may be attended to.</param>
    public Tensor Forward(Tensor x, Tensor keep, Tensor cos, Tensor sin)
    {
        var (b, t) = (x.shape[0], x.shape[1]);
        Tensor Heads(Tensor part) => part.view(b, t, heads, headDim).transpose(1, 2);
        var parts = qkv_proj.forward(x).chunk(3, -1);
        var q = GteRope.Apply(Heads(parts[0]), cos, sin);
        var k = GteRope.Apply(Heads(parts[1]), cos, sin);
        var v = Heads(parts[2]);
        var context = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: keep);
        return o_proj.forward(context.transpose(1, 2).reshape(b, t, heads * headDim));
    }
}

/// <summary>Gated GELU MLP: up_gate_proj yields [up | gate] (no bias); down(gelu(gate) · up).</summary>
public sealed class GteMlp : nn.Module
{
    readonly Linear up_gate_proj, down_proj;

    public GteMlp(GteConfig c) : base("GteMlp")
    {
        up_gate_proj = nn.Linear(c.HiddenSize, 2 * c.IntermediateSize, hasBias: false);
        down_proj = nn.Linear(c.IntermediateSize, c.HiddenSize);
        register_module("up_gate_proj", up_gate_proj);
        register_module("down_proj", down_proj);
    }

    public Tensor Forward(Tensor x)
    {
        var parts = up_gate_proj.forward(x).chunk(2, -1);
        return down_proj.forward(nn.functional.gelu(parts[1]) * parts[0]);
    }
}

/// <summary>One post-norm layer: x = attn_ln(x + attn(x)); x = mlp_ln(x + mlp(x)).</summary>
public sealed class GteLayer : nn.Module
{
    readonly GteAttention attention;
    readonly GteMlp mlp;
    readonly LayerNorm attn_ln, mlp_ln;

    public GteLayer(GteConfig c) : base("GteLayer")
    {
        attention = new GteAttention(c);
        mlp = new GteMlp(c);
        attn_ln = nn.LayerNorm([c.HiddenSize], c.LayerNormEps);
        mlp_ln = nn.LayerNorm([c.HiddenSize], c.LayerNormEps);
        register_module("attention", attention);
        register_module("mlp", mlp);
        register_module("attn_ln", attn_ln);
        register_module("mlp_ln", mlp_ln);
    }

    public Tensor Forward(Tensor x, Tensor keep, Tensor cos, Tensor sin)
    {
        x = attn_ln.forward(x + attention.Forward(x, keep, cos, sin));
        return mlp_ln.forward(x + mlp.Forward(x));
    }
}

/// <summary>The layer stack, named like the checkpoint ("encoder.layer.N").</summary>
public sealed class GteStack : nn.Module
{
    readonly ModuleList<GteLayer> layer;

    public GteStack(GteConfig c) : base("GteStack")
    {
        layer = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(_ => new GteLayer(c)).ToArray());
        register_module("layer", layer);
    }

    public IEnumerable<GteLayer> Layers => layer;
}

/// <summary>dense + tanh on the first token.</summary>
public sealed class GtePooler : nn.Module
{
    readonly Linear dense;

    public GtePooler(GteConfig c) : base("GtePooler")
    {
        dense = nn.Linear(c.HiddenSize, c.HiddenSize);
        register_module("dense", dense);
    }

    public Tensor Forward(Tensor hidden) => dense.forward(hidden[TensorIndex.Colon, 0]).tanh();
}

/// <summary>The encoder ("new." in the checkpoint): embeddings, layers, pooler.</summary>
public sealed class GteModel : nn.Module
{
    readonly GteEmbeddings embeddings;
    readonly GteStack encoder;
    readonly GtePooler pooler;
    readonly double[] inverseFrequencies;

    public GteModel(GteConfig c) : base("GteModel")
    {
        embeddings = new GteEmbeddings(c);
        encoder = new GteStack(c);
        pooler = new GtePooler(c);
        register_module("embeddings", embeddings);
        register_module("encoder", encoder);
        register_module("pooler", pooler);
        inverseFrequencies = GteRope.InverseFrequencies(c.HeadDim, c.RopeTheta, c.RopeScalingFactor);
    }

    public (Tensor Pooled, Tensor LastHidden, IReadOnlyList<Tensor> HiddenStates) Forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds)
    {
        var x = embeddings.Forward(inputIds, tokenTypeIds);
        var (cos, sin) = GteRope.Table((int)inputIds.shape[1], inverseFrequencies, x.dtype, x.device);
        var keep = attentionMask.ne(0).view(inputIds.shape[0], 1, 1, inputIds.shape[1]);
        var states = new List<Tensor> { x };
        foreach (var layer in encoder.Layers)
        {
            x = layer.Forward(x, keep, cos, sin);
            states.Add(x);
        }
        return (pooler.Forward(x), x, states);
    }
}

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
