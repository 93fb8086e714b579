using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Modeling;

// Field names are the Hugging Face tensor names: RegisterComponents() registers modules and parameters under them,
// so state_dict() keys are exactly those of LlamaForCausalLM (model.layers.0.self_attn.q_proj.weight, ...).
#pragma warning disable IDE1006, IDE0044

/// <summary>A bias-free linear map y = x Wᵀ whose weight is cast to the activations' dtype (explicit mixed precision).</summary>
public sealed class LinearNoBias : nn.Module<Tensor, Tensor>
{
    TorchSharp.Modules.Parameter weight;

    public LinearNoBias(long inFeatures, long outFeatures) : base(nameof(LinearNoBias))
    {
        weight = new TorchSharp.Modules.Parameter(empty(outFeatures, inFeatures));
        RegisterComponents();
    }

    public Tensor Weight => weight;

    public override Tensor forward(Tensor x) =>
        nn.functional.linear(x, weight.dtype == x.dtype ? weight : weight.to_type(x.dtype), null);
}

/// <summary>Token embedding table [vocab, hidden]; looks up rows by id.</summary>
public sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
    TorchSharp.Modules.Parameter weight;

    public TokenEmbedding(long vocab, long hidden) : base(nameof(TokenEmbedding))
    {
        weight = new TorchSharp.Modules.Parameter(empty(vocab, hidden));
        RegisterComponents();
    }

    public Tensor Weight => weight;

    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var shape = ids.shape.Append(weight.shape[1]).ToArray();
        return weight.index_select(0, ids.flatten()).view(shape).MoveToOuterDisposeScope();
    }
}

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) · up(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    LinearNoBias gate_proj, up_proj, down_proj;

    public LlamaMlp(LlamaConfig c) : base(nameof(LlamaMlp))
    {
        gate_proj = new LinearNoBias(c.HiddenSize, c.IntermediateSize);
        up_proj = new LinearNoBias(c.HiddenSize, c.IntermediateSize);
        down_proj = new LinearNoBias(c.IntermediateSize, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return down_proj.forward(nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>Grouped-query self-attention with RoPE and scaled dot-product attention.</summary>
public sealed class LlamaAttention : nn.Module
{
    readonly int heads, kvHeads, headDim;
    LinearNoBias q_proj, k_proj, v_proj, o_proj;

    public LlamaAttention(LlamaConfig c) : base(nameof(LlamaAttention))
    {
        heads = c.NumHeads;
        kvHeads = c.NumKvHeads;
        headDim = c.HeadDim;
        q_proj = new LinearNoBias(c.HiddenSize, (long)heads * headDim);
        k_proj = new LinearNoBias(c.HiddenSize, (long)kvHeads * headDim);
        v_proj = new LinearNoBias(c.HiddenSize, (long)kvHeads * headDim);
        o_proj = new LinearNoBias((long)heads * headDim, c.HiddenSize);
        RegisterComponents();
    }

    /// <summary>
    /// x [rows, T, hidden]; <paramref name="mask"/> [rows, 1, T, S] (true = may attend) or null for plain causal
    /// attention; <paramref name="cache"/> (with <paramref name="layer"/>) receives this call's keys and values.
    /// </summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, LlamaKvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long rows = x.shape[0], t = x.shape[1];
        var q = q_proj.forward(x).view(rows, t, heads, headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(rows, t, kvHeads, headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(rows, t, kvHeads, headDim).transpose(1, 2);
        q = Rope.Apply(q, cos, sin);
        k = Rope.Apply(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        if (kvHeads != heads)
        {
            var repeat = heads / kvHeads;
            k = RepeatKv(k, repeat);
            v = RepeatKv(v, repeat);
        }
        var causal = mask is null && t > 1;
        var attn = nn.functional.scaled_dot_product_attention(q, k, v, mask, 0.0, is_casual: causal);
        var merged = attn.transpose(1, 2).reshape(rows, t, (long)heads * headDim);
        return o_proj.forward(merged).MoveToOuterDisposeScope();
    }

    static Tensor RepeatKv(Tensor kv, int repeat)
    {
        long b = kv.shape[0], h = kv.shape[1], s = kv.shape[2], d = kv.shape[3];
        return kv.unsqueeze(2).expand(b, h, repeat, s, d).reshape(b, h * repeat, s, d);
    }
}

/// <summary>Pre-norm decoder block: x + attn(norm(x)), then + mlp(norm(·)).</summary>
public sealed class LlamaDecoderLayer : nn.Module
{
    LlamaAttention self_attn;
    LlamaMlp mlp;
    RmsNorm input_layernorm, post_attention_layernorm;

    public LlamaDecoderLayer(LlamaConfig c) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(c);
        mlp = new LlamaMlp(c);
        input_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        post_attention_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, LlamaKvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.forward(input_layernorm.forward(x), cos, sin, mask, cache, layer);
        return (h + mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>The decoder stack (Hugging Face's <c>LlamaModel</c>, prefix "model.").</summary>
public sealed class LlamaDecoder : nn.Module
{
    TokenEmbedding embed_tokens;
    TorchSharp.Modules.ModuleList<LlamaDecoderLayer> layers;
    RmsNorm norm;

    public LlamaDecoder(LlamaConfig c) : base(nameof(LlamaDecoder))
    {
        embed_tokens = new TokenEmbedding(c.VocabSize, c.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(_ => new LlamaDecoderLayer(c)).ToArray());
        norm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        RegisterComponents();
    }

    public TokenEmbedding EmbedTokens => embed_tokens;
    public IList<LlamaDecoderLayer> Layers => layers;
    public RmsNorm Norm => norm;
}
#pragma warning restore IDE1006, IDE0044
