using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Modeling;

#pragma warning disable IDE1006, IDE0044

/// <summary>
/// A Llama decoder with Hugging Face's parameter names and numerics (SmolLM2 / SafeLM checkpoints): embeddings,
/// pre-norm blocks of grouped-query attention with RoPE and SwiGLU MLPs, a final RMSNorm and an LM head (tied to the
/// embeddings when the config says so). Parameters live in <see cref="ParameterDType"/>; activations are computed in
/// <see cref="ComputeDType"/> (bfloat16 activations over float32 master weights is explicit mixed precision).
/// </summary>
public sealed class LlamaForCausalLM : nn.Module, ICausalLanguageModel
{
    LlamaDecoder model;
    LinearNoBias? lm_head;

    public LlamaConfig Config { get; }

    /// <summary>
    /// The dtype activations are computed in: the parameters' dtype, fixed when they are created or moved
    /// (<see cref="To"/>). A caller that wants another one for a pass (training's bfloat16 autocast) passes it to
    /// <see cref="Forward(Tensor, ScalarType, Tensor?, Tensor?, KvCache?)"/>, so the model itself never changes.
    /// </summary>
    public ScalarType ComputeDType { get; private set; }

    public LlamaForCausalLM(LlamaConfig config) : base(nameof(LlamaForCausalLM))
    {
        Config = config.Validate();
        model = new LlamaDecoder(config);
        lm_head = config.TieWordEmbeddings ? null : new LinearNoBias(config.HiddenSize, config.VocabSize);
        RegisterComponents();
        ComputeDType = ScalarType.Float32;
        OwnParameters();
    }

    // Parameters belong to the model, never to whatever dispose scope the caller happens to be in.
    void OwnParameters()
    {
        foreach (var p in parameters()) p.DetachFromDisposeScope();
    }

    public long VocabSize => Config.VocabSize;

    public Device Device => model.EmbedTokens.Weight.device;

    public ScalarType ParameterDType => model.EmbedTokens.Weight.dtype;

    public KvCache CreateCache() => new LlamaKvCache(Config.NumLayers);

    /// <summary>Initialises all weights as Hugging Face does for a fresh model (normal(0, 0.02), norms = 1), from <paramref name="seed"/>.</summary>
    public LlamaForCausalLM InitializeWeights(long seed, double std = 0.02)
    {
        using var _ = no_grad();
        using var generator = new Generator((ulong)seed, CPU);
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(1.0);
            else
            {
                using var draw = randn(p.shape, dtype: ScalarType.Float32, generator: generator);
                p.copy_(draw.mul_(std));
            }
        }
        return this;
    }

    /// <summary>Moves parameters to <paramref name="device"/> and <paramref name="dtype"/>; activations follow the dtype.</summary>
    public LlamaForCausalLM To(Device device, ScalarType dtype)
    {
        this.to(device);
        this.to(dtype);
        ComputeDType = dtype;
        OwnParameters();
        return this;
    }

    public Tensor Forward(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null) =>
        Forward(inputIds, ComputeDType, positionIds, attentionMask, cache);

    /// <summary>As the interface's Forward, with activations computed in <paramref name="computeDType"/>.</summary>
    public Tensor Forward(Tensor inputIds, ScalarType computeDType, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var kv = cache switch
        {
            null => null,
            LlamaKvCache c => c,
            _ => throw new ArgumentException($"expected a cache from this model's CreateCache, got {cache.GetType().Name}", nameof(cache)),
        };
        if (inputIds.dim() != 2) throw new ArgumentException($"inputIds must be [rows, T], got [{string.Join(",", inputIds.shape)}]", nameof(inputIds));
        var device = Device;
        var ids = inputIds.to(device).to_type(ScalarType.Int64);
        long rows = ids.shape[0], t = ids.shape[1];
        var past = kv?.Length ?? 0;
        if (kv is { Length: > 0 } && kv.Rows != rows)
            throw new ArgumentException($"the cache holds {kv.Rows} rows but inputIds has {rows}", nameof(inputIds));

        var positions = positionIds?.to(device).to_type(ScalarType.Int64)
                        ?? arange(past, past + t, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(rows, t);
        var mask = BuildMask(attentionMask, rows, t, past, device);

        var x = model.EmbedTokens.forward(ids).to_type(computeDType);
        using var invFreq = Rope.InverseFrequencies(Config.HeadDim, Config.RopeTheta, device);
        var (cos, sin) = Rope.CosSin(invFreq, positions, computeDType);
        for (var i = 0; i < model.Layers.Count; i++)
            x = model.Layers[i].forward(x, cos, sin, mask, kv, i);
        x = model.Norm.forward(x);
        var head = lm_head?.Weight ?? model.EmbedTokens.Weight;
        var logits = nn.functional.linear(x, head.dtype == x.dtype ? head : head.to_type(x.dtype), null);
        return logits.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Null when plain causal attention suffices (no padding, no cached prefix, or a single new token without padding);
    /// otherwise a boolean mask [rows, 1, T, past+T]: a query attends to earlier-or-equal positions that are real
    /// tokens, and always to itself, so that padding positions stay finite (their outputs are never used).
    /// </summary>
    static Tensor? BuildMask(Tensor? attentionMask, long rows, long t, long past, Device device)
    {
        if (attentionMask is null && (past == 0 || t == 1)) return null;
        var total = past + t;
        if (attentionMask is not null && (attentionMask.dim() != 2 || attentionMask.shape[0] != rows || attentionMask.shape[1] != total))
            throw new ArgumentException($"attentionMask must be [rows={rows}, cacheLength+T={total}], got [{string.Join(",", attentionMask.shape)}]", nameof(attentionMask));
        var queryPos = arange(past, total, dtype: ScalarType.Int64, device: device).view(1, 1, t, 1);
        var keyPos = arange(0, total, dtype: ScalarType.Int64, device: device).view(1, 1, 1, total);
        var allowed = keyPos.le(queryPos);
        if (attentionMask is not null)
        {
            var real = attentionMask.to(device).ne(0).view(rows, 1, 1, total);
            allowed = allowed.logical_and(real).logical_or(keyPos.eq(queryPos));
        }
        return allowed.expand(rows, 1, t, total);
    }

    /// <summary>Tensors by Hugging Face name (no <c>lm_head.weight</c> when tied).</summary>
    public IReadOnlyDictionary<string, Tensor> NamedTensors() =>
        named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);

    /// <summary>
    /// Writes <c>config.json</c> and <c>model.safetensors</c> (Hugging Face names, parameters in <paramref name="dtype"/>,
    /// default: as stored) into <paramref name="dir"/>, each atomically, so that <c>LlamaForCausalLM.from_pretrained</c> loads them.
    /// </summary>
    public void Save(string dir, ScalarType? dtype = null)
    {
        Directory.CreateDirectory(dir);
        var target = dtype ?? ParameterDType;
        using var scope = NewDisposeScope();
        var tensors = named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().to_type(target), StringComparer.Ordinal);
        Safetensors.Save(Path.Combine(dir, "model.safetensors"), tensors);
        var json = Config.ToJson(target switch { ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", _ => "float32" });
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
#pragma warning restore IDE1006, IDE0044
