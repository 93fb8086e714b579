using System.Text.Json;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Scoring;

/// <summary>
/// The settings of the Alibaba-NLP "new" encoder (gte-base/large-en-v1.5) that change its numerics,
/// read from a Hugging Face <c>config.json</c>. <see cref="RopeScalingFactor"/> is null for plain RoPE.
/// </summary>
public sealed record GteConfig(
    int VocabSize,
    int HiddenSize,
    int NumLayers,
    int NumHeads,
    int IntermediateSize,
    int TypeVocabSize,
    int MaxPositionEmbeddings,
    double RopeTheta,
    double? RopeScalingFactor,
    double LayerNormEps,
    int NumLabels = 6,
    int PadTokenId = 0)
{
    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>A small configuration for the toy world: trains from scratch on the CPU in seconds.</summary>
    public static GteConfig Toy(int vocabSize, int maxLength = 128) =>
        new(vocabSize, HiddenSize: 64, NumLayers: 2, NumHeads: 4, IntermediateSize: 128, TypeVocabSize: 2,
            MaxPositionEmbeddings: maxLength, RopeTheta: 10000, RopeScalingFactor: null, LayerNormEps: 1e-12);

    /// <summary>gte-base-en-v1.5's shape (768 hidden, 12 layers, 512 tokens), used by the benchmark.</summary>
    public static GteConfig BaseSized(int vocabSize = 30528) =>
        new(vocabSize, 768, 12, 12, 3072, 0, 512, 500000, null, 1e-12);

    /// <summary>Reads <paramref name="path"/>; refuses anything that is not the "new" architecture with RoPE, gated GELU and packed qkv.</summary>
    public static GteConfig Load(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("config.json not found", path);
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new BadInputException($"not valid JSON: {e.Message}", path); }

        int Int(string key, int? fallback = null) =>
            root[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i
            : fallback ?? throw new BadInputException("missing or not an integer", path, key, root[key]?.ToJsonString());
        double Double(string key, double? fallback = null) =>
            root[key] is JsonValue v && v.TryGetValue<double>(out var d) ? d
            : fallback ?? throw new BadInputException("missing or not a number", path, key, root[key]?.ToJsonString());
        void Expect(string key, string expected, string? fallback)
        {
            var actual = root[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : fallback;
            if (actual != expected)
                throw new BadInputException($"only {key}={expected} is supported", path, key, actual ?? "(missing)");
        }

        Expect("position_embedding_type", "rope", "rope");
        Expect("hidden_act", "gelu", "gelu");
        Expect("layer_norm_type", "layer_norm", "layer_norm");
        if (root["pack_qkv"] is JsonValue p && p.TryGetValue<bool>(out var packed) && !packed)
            throw new BadInputException("only packed qkv (pack_qkv=true) is supported", path, "pack_qkv", "false");

        double? factor = null;
        var scaling = root["rope_scaling"] as JsonObject ?? root["rope_parameters"] as JsonObject;
        if (scaling is not null && scaling["type"] is JsonValue t && t.TryGetValue<string>(out var kind))
        {
            if (kind != "ntk") throw new BadInputException("only NTK rope scaling is supported", path, "rope_scaling.type", kind);
            factor = scaling["factor"] is JsonValue f && f.TryGetValue<double>(out var fv) ? fv
                : throw new BadInputException("missing factor", path, "rope_scaling.factor");
            if (scaling["mixed_b"] is JsonValue mb && mb.GetValueKind() != JsonValueKind.Null)
                throw new BadInputException("mixed_b NTK scaling is not supported", path, "rope_scaling.mixed_b", mb.ToJsonString());
        }

        var labels = root["id2label"] is JsonObject map ? map.Count : Int("num_labels", 6);
        var config = new GteConfig(Int("vocab_size"), Int("hidden_size"), Int("num_hidden_layers"), Int("num_attention_heads"),
            Int("intermediate_size"), Int("type_vocab_size", 0), Int("max_position_embeddings", 512),
            Double("rope_theta", 10000), factor, Double("layer_norm_eps", 1e-12), labels, Int("pad_token_id", 0));
        if (config.HiddenSize % config.NumHeads != 0 || config.HeadDim % 2 != 0)
            throw new BadInputException("hidden_size must split into an even head size", path, "hidden_size", config.HiddenSize.ToString());
        return config;
    }

    /// <summary>The config.json a Hugging Face loader (trust_remote_code) accepts for this configuration.</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray("NewForSequenceClassification"),
            ["model_type"] = "new",
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumLayers,
            ["num_attention_heads"] = NumHeads,
            ["intermediate_size"] = IntermediateSize,
            ["type_vocab_size"] = TypeVocabSize,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rope_theta"] = RopeTheta,
            ["layer_norm_eps"] = LayerNormEps,
            ["layer_norm_type"] = "layer_norm",
            ["hidden_act"] = "gelu",
            ["position_embedding_type"] = "rope",
            ["pack_qkv"] = true,
            ["pad_token_id"] = PadTokenId,
            ["id2label"] = new JsonObject(Enumerable.Range(0, NumLabels).Select(i => KeyValuePair.Create(i.ToString(), (JsonNode?)$"LABEL_{i}"))),
        };
        if (RopeScalingFactor is { } f) o["rope_scaling"] = new JsonObject { ["type"] = "ntk", ["factor"] = f };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
