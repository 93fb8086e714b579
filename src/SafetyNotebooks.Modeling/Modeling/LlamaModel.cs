using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Modeling;

/// <summary>Loading Llama checkpoints in the Hugging Face layout (config.json + safetensors, single file or sharded).</summary>
public static class LlamaModel
{
    public const string WeightsFile = "model.safetensors";
    public const string ShardIndexFile = "model.safetensors.index.json";

    /// <summary>A fresh model of <paramref name="config"/> with Hugging Face's initialisation, seeded.</summary>
    public static LlamaForCausalLM Create(LlamaConfig config, long seed, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        var m = new LlamaForCausalLM(config).InitializeWeights(seed);
        return m.To(device ?? CPU, dtype);
    }

    /// <summary>
    /// Loads <paramref name="dir"/> (config.json + model.safetensors or model.safetensors.index.json) onto
    /// <paramref name="device"/> (default CPU) in <paramref name="dtype"/> (default float32), converting stored
    /// float32/bfloat16/float16 as needed. Pickled checkpoints (.bin/.pt) are refused: they can run code.
    /// </summary>
    public static LlamaForCausalLM Load(string dir, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        if (!Directory.Exists(dir)) throw new BadInputException("model folder not found", dir);
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new BadInputException("dtype must be float32, bfloat16 or float16", dir, "dtype", dtype.ToString());
        var config = LlamaConfig.Load(Path.Combine(dir, "config.json"));
        var files = WeightFiles(dir);
        var model = new LlamaForCausalLM(config);
        var expected = model.NamedTensors();
        CheckWeights(dir, config, files, expected.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal));
        using (no_grad())
        {
            foreach (var file in files)
            {
                var loaded = Safetensors.Load(file, select: name => !IsIgnorable(name, config));
                try
                {
                    foreach (var (name, t) in loaded) expected[name].copy_(t);
                }
                finally
                {
                    foreach (var t in loaded.Values) t.Dispose();
                }
            }
        }
        return model.To(device ?? CPU, dtype);
    }

    /// <summary>
    /// Reads config.json and checks the checkpoint's tensors (names, shapes, dtypes, none missing) against it from the
    /// safetensors headers alone, as <see cref="Load"/> does before reading any weight: what this accepts, Load loads.
    /// </summary>
    public static (LlamaConfig Config, IReadOnlyList<string> Files) Check(string dir)
    {
        if (!Directory.Exists(dir)) throw new BadInputException("model folder not found", dir);
        var config = LlamaConfig.Load(Path.Combine(dir, "config.json"));
        var files = WeightFiles(dir);
        CheckWeights(dir, config, files, ExpectedShapes(config));
        return (config, files);
    }

    /// <summary>Each tensor's Hugging Face name and shape under <paramref name="config"/> (from a model of uninitialised weights).</summary>
    public static IReadOnlyDictionary<string, long[]> ExpectedShapes(LlamaConfig config)
    {
        using var model = new LlamaForCausalLM(config);
        return model.NamedTensors().ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
    }

    /// <summary>The header check: every stored tensor is one the config expects, of its shape and a float dtype, and none is missing.</summary>
    static void CheckWeights(string dir, LlamaConfig config, IReadOnlyList<string> files, IReadOnlyDictionary<string, long[]> expected)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
            foreach (var e in Safetensors.ReadHeader(file).Entries.Where(e => !IsIgnorable(e.Name, config)))
            {
                if (!expected.TryGetValue(e.Name, out var shape))
                    throw new BadInputException("unexpected tensor for this config (wrong architecture or config?)", file, e.Name);
                if (!shape.SequenceEqual(e.Shape))
                    throw new BadInputException($"shape [{string.Join(",", e.Shape)}] does not match the config's [{string.Join(",", shape)}]", file, e.Name);
                if (e.DType is not ("F32" or "BF16" or "F16"))
                    throw new BadInputException("weights must be float32, bfloat16 or float16", file, e.Name, e.DType);
                seen.Add(e.Name);
            }
        var missing = expected.Keys.Where(k => !seen.Contains(k)).ToList();
        if (missing.Count > 0)
            throw new BadInputException($"{missing.Count} tensors missing from the checkpoint", dir, missing[0]);
    }

    // Hugging Face checkpoints may carry rotary caches, and tied models sometimes still store lm_head.weight.
    static bool IsIgnorable(string name, LlamaConfig config) =>
        name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal) || (config.TieWordEmbeddings && name == "lm_head.weight");

    /// <summary>The safetensors files of a checkpoint folder (shard names from the index are confined to the folder).</summary>
    public static IReadOnlyList<string> WeightFiles(string dir)
    {
        var single = Path.Combine(dir, WeightsFile);
        if (File.Exists(single)) return [single];
        var index = Path.Combine(dir, ShardIndexFile);
        if (File.Exists(index))
        {
            JsonObject map;
            try { map = JsonNode.Parse(File.ReadAllText(index))?["weight_map"]?.AsObject() ?? throw new JsonException("no weight_map"); }
            catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new BadInputException($"not a shard index: {e.Message}", index, "weight_map"); }
            return map.Select(kv => kv.Value?.GetValue<string>() ?? throw new BadInputException("shard name missing", index, $"weight_map.{kv.Key}"))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Select(shard => SafePath.Combine(dir, shard, index))
                .Select(path => File.Exists(path) ? path : throw new BadInputException("shard file not found", index, "weight_map", Path.GetFileName(path)))
                .ToList();
        }
        var pickled = new[] { "pytorch_model.bin", "model.pt", "pytorch_model.bin.index.json" }.FirstOrDefault(f => File.Exists(Path.Combine(dir, f)));
        if (pickled is not null)
            throw new BadInputException("pickled PyTorch checkpoints are refused (unpickling can run code); convert it to safetensors first " +
                                        "(e.g. transformers: model.save_pretrained(dir, safe_serialization=True))", Path.Combine(dir, pickled));
        throw new BadInputException($"no {WeightsFile} or {ShardIndexFile}", dir);
    }

    /// <summary>Parses "float32"/"f32"/"bfloat16"/"bf16"/"float16"/"f16".</summary>
    public static ScalarType ParseDType(string text, string origin = "--dtype") => text.Trim().ToLowerInvariant() switch
    {
        "float32" or "f32" or "fp32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "f16" or "fp16" => ScalarType.Float16,
        _ => throw new BadInputException("expected float32, bfloat16 or float16", origin, "dtype", text),
    };
}
