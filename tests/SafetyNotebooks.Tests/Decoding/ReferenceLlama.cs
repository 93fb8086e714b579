using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SafetyNotebooks.Tests.Decoding;

/// <summary>
/// A compact Llama (SmolLM2 architecture: RMSNorm, RoPE, grouped-query attention, SwiGLU, tied embeddings) used by the
/// decoding tests and benchmarks to drive the decoders through a real transformer with a real KV cache. It is not the
/// toolkit's model (that lives in Modeling/); it exists so that decoding is checked against the Hugging Face fixtures
/// independently of it.
/// </summary>
public sealed class ReferenceLlama : ICausalLanguageModel
{
    public sealed record Shape(int Vocab, int Hidden, int Layers, int Heads, int KvHeads, int Intermediate, double RopeTheta = 10000, double RmsEps = 1e-5);

    readonly Shape shape;
    readonly Dictionary<string, Tensor> w;
    readonly Tensor invFreq;
    readonly ScalarType dtype;
    public long VocabSize => shape.Vocab;
    public Device Device { get; }

    ReferenceLlama(Shape shape, Dictionary<string, Tensor> weights, Device device, ScalarType dtype)
    {
        this.shape = shape;
        this.dtype = dtype;
        Device = device;
        w = weights.ToDictionary(kv => kv.Key, kv => kv.Value.to(dtype, device).DetachFromDisposeScope());
        var hd = shape.Hidden / shape.Heads;
        invFreq = (1.0 / pow(shape.RopeTheta, arange(0, hd, 2, dtype: ScalarType.Float64) / hd)).to(ScalarType.Float32, device).DetachFromDisposeScope();
    }

    /// <summary>Loads a Hugging Face LlamaForCausalLM folder (config.json + model.safetensors, tied embeddings).</summary>
    public static ReferenceLlama Load(string dir, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));
        var c = doc.RootElement;
        var theta = c.TryGetProperty("rope_theta", out var t) ? t.GetDouble() : c.GetProperty("rope_parameters").GetProperty("rope_theta").GetDouble();
        var shape = new Shape(c.GetProperty("vocab_size").GetInt32(), c.GetProperty("hidden_size").GetInt32(), c.GetProperty("num_hidden_layers").GetInt32(),
            c.GetProperty("num_attention_heads").GetInt32(), c.GetProperty("num_key_value_heads").GetInt32(), c.GetProperty("intermediate_size").GetInt32(),
            theta, c.GetProperty("rms_norm_eps").GetDouble());
        using var scope = NewDisposeScope();
        return new ReferenceLlama(shape, Safetensors.Load(Path.Combine(dir, "model.safetensors")), device ?? CPU, dtype);
    }

    /// <summary>Random weights (normal, std 0.2; norms 1) of the given shape, seeded.</summary>
    public static ReferenceLlama Random(Shape s, long seed, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)seed);
        Tensor N(params long[] size) => normal(0, 0.2, size, generator: g);
        var hd = s.Hidden / s.Heads;
        var weights = new Dictionary<string, Tensor> { ["model.embed_tokens.weight"] = N(s.Vocab, s.Hidden), ["model.norm.weight"] = ones(s.Hidden) };
        for (var l = 0; l < s.Layers; l++)
        {
            var p = $"model.layers.{l}.";
            weights[p + "input_layernorm.weight"] = ones(s.Hidden);
            weights[p + "post_attention_layernorm.weight"] = ones(s.Hidden);
            weights[p + "self_attn.q_proj.weight"] = N(s.Heads * hd, s.Hidden);
            weights[p + "self_attn.k_proj.weight"] = N(s.KvHeads * hd, s.Hidden);
            weights[p + "self_attn.v_proj.weight"] = N(s.KvHeads * hd, s.Hidden);
            weights[p + "self_attn.o_proj.weight"] = N(s.Hidden, s.Heads * hd) / Math.Sqrt(s.Hidden);
            weights[p + "mlp.gate_proj.weight"] = N(s.Intermediate, s.Hidden) / Math.Sqrt(s.Hidden);
            weights[p + "mlp.up_proj.weight"] = N(s.Intermediate, s.Hidden);
            weights[p + "mlp.down_proj.weight"] = N(s.Hidden, s.Intermediate) / Math.Sqrt(s.Intermediate);
        }
        return new ReferenceLlama(s, weights, device ?? CPU, dtype);
    }

    public KvCache CreateCache() => new Cache(shape.Layers);

    sealed class Cache(int layers) : KvCache
    {
        public readonly Tensor?[] Keys = new Tensor?[layers], Values = new Tensor?[layers];
        public override long Length => Keys[0]?.shape[2] ?? 0;
        public override long Rows => Keys[0]?.shape[0] ?? 0;

        public override void SelectRows(Tensor rowIndex)
        {
            for (var l = 0; l < Keys.Length; l++)
            {
                Keys[l] = Replace(Keys[l], Keys[l]?.index_select(0, rowIndex));
                Values[l] = Replace(Values[l], Values[l]?.index_select(0, rowIndex));
            }
        }

        public static Tensor? Replace(Tensor? old, Tensor? next)
        {
            next?.DetachFromDisposeScope();
            old?.Dispose();
            return next;
        }

        public override void Dispose()
        {
            foreach (var t in Keys.Concat(Values)) t?.Dispose();
        }
    }

    public Tensor Forward(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var (rows, T) = (inputIds.shape[0], inputIds.shape[1]);
        var c = cache as Cache;
        var past = c?.Length ?? 0;
        var hd = shape.Hidden / shape.Heads;
        var positions = (positionIds ?? (arange(past, past + T, device: Device).unsqueeze(0).expand(rows, T))).to(ScalarType.Float32);
        var freqs = positions.unsqueeze(-1) * invFreq;                         // [rows, T, hd/2]
        var emb = cat([freqs, freqs], -1).unsqueeze(1);                       // [rows, 1, T, hd]
        var (cos, sin) = (emb.cos().to(dtype), emb.sin().to(dtype));

        // Attention mask [rows, 1, T, past+T]: causal, padding keys hidden, and each query always sees itself so that
        // padding positions stay finite.
        Tensor? mask = null;
        if (attentionMask is not null || T > 1)
        {
            var S = past + T;
            var key = arange(S, device: Device).unsqueeze(0);
            var query = arange(past, S, device: Device).unsqueeze(1);
            var allowed = key <= query;
            if (attentionMask is not null) allowed = allowed.unsqueeze(0) & attentionMask.to(ScalarType.Bool).unsqueeze(1);
            else allowed = allowed.unsqueeze(0);
            mask = (allowed | (key == query).unsqueeze(0)).unsqueeze(1);
        }

        var x = w["model.embed_tokens.weight"].index_select(0, inputIds.flatten()).view(rows, T, shape.Hidden);
        for (var l = 0; l < shape.Layers; l++)
        {
            var p = $"model.layers.{l}.";
            var h = RmsNorm(x, w[p + "input_layernorm.weight"]);
            var q = Rope(F.linear(h, w[p + "self_attn.q_proj.weight"]).view(rows, T, shape.Heads, hd).transpose(1, 2), cos, sin);
            var k = Rope(F.linear(h, w[p + "self_attn.k_proj.weight"]).view(rows, T, shape.KvHeads, hd).transpose(1, 2), cos, sin);
            var v = F.linear(h, w[p + "self_attn.v_proj.weight"]).view(rows, T, shape.KvHeads, hd).transpose(1, 2);
            if (c is not null)
            {
                k = c.Keys[l] is null ? k : cat([c.Keys[l]!, k], 2);
                v = c.Values[l] is null ? v : cat([c.Values[l]!, v], 2);
                c.Keys[l] = Cache.Replace(c.Keys[l], k.contiguous());
                c.Values[l] = Cache.Replace(c.Values[l], v.contiguous());
                k = c.Keys[l]!;
                v = c.Values[l]!;
            }
            var group = shape.Heads / shape.KvHeads;
            var (kk, vv) = group == 1 ? (k, v) : (k.repeat_interleave(group, 1), v.repeat_interleave(group, 1));
            var a = F.scaled_dot_product_attention(q, kk, vv, attn_mask: mask);
            x = x + F.linear(a.transpose(1, 2).reshape(rows, T, shape.Hidden), w[p + "self_attn.o_proj.weight"]);
            h = RmsNorm(x, w[p + "post_attention_layernorm.weight"]);
            x = x + F.linear(F.silu(F.linear(h, w[p + "mlp.gate_proj.weight"])) * F.linear(h, w[p + "mlp.up_proj.weight"]), w[p + "mlp.down_proj.weight"]);
        }
        x = RmsNorm(x, w["model.norm.weight"]);
        return F.linear(x, w["model.embed_tokens.weight"]).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    Tensor RmsNorm(Tensor x, Tensor weight)
    {
        var f = x.to(ScalarType.Float32);
        return weight * (f * rsqrt(f.pow(2).mean([-1], keepdim: true) + shape.RmsEps)).to(dtype);
    }

    static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var rotated = cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return x * cos + rotated * sin;
    }
}
