using SafetyNotebooks.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafetyNotebooks.Scoring;

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
