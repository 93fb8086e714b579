using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Modeling;

/// <summary>
/// The shape of a Llama decoder (SmolLM2 family), read from and written to a Hugging Face <c>config.json</c>.
/// </summary>
public sealed record LlamaConfig(
    int VocabSize,
    int HiddenSize,
    int IntermediateSize,
    int NumLayers,
    int NumHeads,
    int NumKvHeads,
    int HeadDim,
    double RopeTheta = 10000.0,
    double RmsNormEps = 1e-5,
    bool TieWordEmbeddings = true,
    int MaxPositionEmbeddings = 2048,
    int? BosTokenId = null,
    int? EosTokenId = null)
{
    /// <summary>Number of parameters (embedding counted once when tied).</summary>
    public long ParameterCount
    {
        get
        {
            long h = HiddenSize, q = (long)NumHeads * HeadDim, kv = (long)NumKvHeads * HeadDim;
            var perLayer = h * q + 2 * h * kv + q * h + 3 * h * IntermediateSize + 2 * h;
            return VocabSize * h * (TieWordEmbeddings ? 1 : 2) + NumLayers * perLayer + h;
        }
    }

    /// <summary>Training FLOPs per token: 6 × non-embedding matmul parameters (+ the LM head) + causal attention (6·L·T·q_dim).</summary>
    public double TrainFlopsPerToken(int sequenceLength)
    {
        long h = HiddenSize, q = (long)NumHeads * HeadDim, kv = (long)NumKvHeads * HeadDim;
        var matmul = NumLayers * (h * q + 2 * h * kv + q * h + 3 * h * IntermediateSize) + VocabSize * h;
        return 6.0 * matmul + 6.0 * NumLayers * sequenceLength * q;
    }

    /// <summary>SmolLM2-360M (hidden 960, 32 layers, 15 heads, 5 KV heads).</summary>
    public static LlamaConfig SmolLM2_360M { get; } = new(49152, 960, 2560, 32, 15, 5, 64, 100000, 1e-5, true, 8192, 0, 0);

    /// <summary>SmolLM2-1.7B, the paper's architecture (PAPER.md §1.7).</summary>
    public static LlamaConfig SmolLM2_1_7B { get; } = new(49152, 2048, 8192, 24, 32, 32, 64, 130000, 1e-5, true, 8192, 0, 0);

    /// <summary>Validates shapes; every problem names the config field.</summary>
    public LlamaConfig Validate(string source = "config.json")
    {
        void Positive(int v, string field) { if (v <= 0) throw new BadInputException("must be a positive integer", source, field, v.ToString(CultureInfo.InvariantCulture)); }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumLayers, "num_hidden_layers");
        Positive(NumHeads, "num_attention_heads");
        Positive(NumKvHeads, "num_key_value_heads");
        Positive(HeadDim, "head_dim");
        if (HeadDim % 2 != 0) throw new BadInputException("must be even (RoPE rotates pairs)", source, "head_dim", HeadDim.ToString(CultureInfo.InvariantCulture));
        if (NumHeads % NumKvHeads != 0)
            throw new BadInputException($"num_attention_heads ({NumHeads}) must be a multiple of num_key_value_heads", source, "num_key_value_heads", NumKvHeads.ToString(CultureInfo.InvariantCulture));
        if (!(RopeTheta > 0)) throw new BadInputException("must be positive", source, "rope_theta", RopeTheta.ToString(CultureInfo.InvariantCulture));
        if (!(RmsNormEps > 0)) throw new BadInputException("must be positive", source, "rms_norm_eps", RmsNormEps.ToString(CultureInfo.InvariantCulture));
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        // before libtorch allocates: the weights alone (2 bytes each at the least) must fit in this machine's memory
        Bounds.FitsInMemory(2 * ParameterEstimate, $"a model of {ParameterEstimate:0.###e+0} parameters", source, LargestField(), FieldValue(LargestField()));
        return this;
    }

    /// <summary><see cref="ParameterCount"/> in floating point, so absurd shapes cannot overflow.</summary>
    double ParameterEstimate
    {
        get
        {
            double h = HiddenSize, q = (double)NumHeads * HeadDim, kv = (double)NumKvHeads * HeadDim;
            return VocabSize * h * (TieWordEmbeddings ? 1 : 2) + NumLayers * (2 * h * q + 2 * h * kv + 3 * h * IntermediateSize + 2 * h) + h;
        }
    }

    /// <summary>The field whose value contributes most to the size, to name it when the model cannot fit.</summary>
    string LargestField()
    {
        double h = HiddenSize;
        var byField = new (string Field, double Params)[]
        {
            ("vocab_size", VocabSize * h), ("intermediate_size", NumLayers * 3 * h * IntermediateSize),
            ("num_hidden_layers", NumLayers * h * h * 4), ("hidden_size", h * h * NumLayers * 4),
        };
        return byField.MaxBy(f => f.Params).Field;
    }

    string FieldValue(string field) => (field switch
    {
        "vocab_size" => VocabSize, "intermediate_size" => IntermediateSize, "num_hidden_layers" => NumLayers, _ => HiddenSize,
    }).ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads a Hugging Face <c>config.json</c> (transformers 4.x top-level <c>rope_theta</c> or 5.x <c>rope_parameters</c>).</summary>
    public static LlamaConfig Load(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("file not found", path);
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new JsonException("not an object"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new BadInputException($"not a JSON object: {e.Message}", path); }
        return FromJson(o, path);
    }

    public static LlamaConfig FromJson(JsonObject o, string source = "config.json")
    {
        var modelType = o["model_type"]?.GetValue<string>();
        var archs = o["architectures"] as JsonArray;
        var arch = archs?.FirstOrDefault()?.GetValue<string>();
        if (modelType is not null && modelType != "llama")
            throw new BadInputException("unsupported architecture (only llama / LlamaForCausalLM)", source, "model_type", modelType);
        if (arch is not null && arch != "LlamaForCausalLM")
            throw new BadInputException("unsupported architecture (only LlamaForCausalLM)", source, "architectures", arch);
        if (modelType is null && arch is null) throw new BadInputException("missing model_type and architectures", source, "model_type");
        var act = o["hidden_act"]?.GetValue<string>() ?? "silu";
        if (act != "silu") throw new BadInputException("only silu (SwiGLU) is supported", source, "hidden_act", act);
        foreach (var biasField in new[] { "attention_bias", "mlp_bias" })
            if (o[biasField] is JsonValue b && b.GetValue<bool>()) throw new BadInputException("biases are not supported", source, biasField, "true");
        var ropeType = o["rope_parameters"]?["rope_type"]?.GetValue<string>() ?? (o["rope_scaling"] as JsonObject)?["rope_type"]?.GetValue<string>() ?? (o["rope_scaling"] as JsonObject)?["type"]?.GetValue<string>();
        if (ropeType is not null && ropeType != "default")
            throw new BadInputException("only default RoPE is supported", source, "rope_parameters.rope_type", ropeType);

        int Int(string field, int? fallback = null)
        {
            var n = o[field];
            if (n is null || n.GetValueKind() == JsonValueKind.Null)
                return fallback ?? throw new BadInputException("missing", source, field);
            try { return n.GetValue<int>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException) { throw new BadInputException("expected an integer", source, field, n.ToJsonString()); }
        }
        double Num(JsonNode? n, string field, double fallback)
        {
            if (n is null || n.GetValueKind() == JsonValueKind.Null) return fallback;
            try { return n.GetValue<double>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException) { throw new BadInputException("expected a number", source, field, n.ToJsonString()); }
        }
        int? Token(string field) => o[field] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<int>(),
            JsonArray a when a.Count > 0 => a[0]!.GetValue<int>(),
            _ => null,
        };

        var hidden = Int("hidden_size");
        var heads = Int("num_attention_heads");
        var ropeTheta = o["rope_theta"] is { } rt ? Num(rt, "rope_theta", 10000) : Num(o["rope_parameters"]?["rope_theta"], "rope_parameters.rope_theta", 10000);
        var headDim = Int("head_dim", heads > 0 && hidden % heads == 0 ? hidden / heads : -1);
        if (headDim == -1) throw new BadInputException($"hidden_size ({hidden}) is not a multiple of num_attention_heads ({heads}) and head_dim is missing", source, "head_dim");
        return new LlamaConfig(
            Int("vocab_size"), hidden, Int("intermediate_size"), Int("num_hidden_layers"), heads,
            Int("num_key_value_heads", heads), headDim, ropeTheta, Num(o["rms_norm_eps"], "rms_norm_eps", 1e-6),
            o["tie_word_embeddings"]?.GetValue<bool>() ?? true, Int("max_position_embeddings", 2048),
            Token("bos_token_id"), Token("eos_token_id")).Validate(source);
    }

    /// <summary>The <c>config.json</c> that <c>LlamaForCausalLM.from_pretrained</c> reads (top-level rope_theta, as real checkpoints).</summary>
    public JsonObject ToJson(string dtype = "float32") => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["attention_bias"] = false,
        ["attention_dropout"] = 0.0,
        ["bos_token_id"] = BosTokenId,
        ["eos_token_id"] = EosTokenId,
        ["head_dim"] = HeadDim,
        ["hidden_act"] = "silu",
        ["hidden_size"] = HiddenSize,
        ["initializer_range"] = 0.02,
        ["intermediate_size"] = IntermediateSize,
        ["max_position_embeddings"] = MaxPositionEmbeddings,
        ["mlp_bias"] = false,
        ["model_type"] = "llama",
        ["num_attention_heads"] = NumHeads,
        ["num_hidden_layers"] = NumLayers,
        ["num_key_value_heads"] = NumKvHeads,
        ["pretraining_tp"] = 1,
        ["rms_norm_eps"] = RmsNormEps,
        ["rope_scaling"] = null,
        ["rope_theta"] = RopeTheta,
        ["tie_word_embeddings"] = TieWordEmbeddings,
        ["torch_dtype"] = dtype,
        ["use_cache"] = true,
        ["vocab_size"] = VocabSize,
    };
}
