using System.Globalization;
using SafetyNotebooks.Modeling;
using YamlDotNet.RepresentationModel;

namespace SafetyNotebooks.Training;

/// <summary>Where the training tokens come from.</summary>
public sealed record TrainData(string? LitData = null, string? Documents = null);

/// <summary>A whole training job as <c>safetynb train --config FILE.yaml</c> describes it.</summary>
public sealed record TrainJob(TrainConfig Config, LlamaConfig? Shape, string? Pretrained, string? Tokenizer, TrainData Data, string Output, string? Device, string Source = "training YAML");

/// <summary>
/// Reads a training YAML. Keys: <c>model</c> (either <c>pretrained: DIR</c> or a shape: vocab_size, hidden_size,
/// intermediate_size, num_layers, num_heads, num_kv_heads, head_dim, rope_theta, tie_word_embeddings),
/// <c>tokenizer</c> (folder; default: the byte-level toy tokenizer), <c>data</c> (<c>litdata: DIR</c> or
/// <c>documents: PATH</c> for Parquet/JSONL), <c>output</c>, <c>device</c>, and the <see cref="TrainConfig"/> fields
/// in snake_case (steps, batch_size, seq_len, grad_accum, lr, min_lr, warmup_steps, schedule, decay_fraction, beta1,
/// beta2, eps, weight_decay, clip, bf16, seed, checkpoint_every, peak_flops). Unknown keys and bad values are errors
/// naming the key.
/// </summary>
public static class TrainYaml
{
    static readonly HashSet<string> TopKeys = ["model", "tokenizer", "data", "output", "device", "steps", "batch_size", "seq_len", "grad_accum", "lr", "min_lr",
        "warmup_steps", "schedule", "decay_fraction", "beta1", "beta2", "eps", "weight_decay", "clip", "bf16", "seed", "checkpoint_every", "peak_flops"];
    static readonly HashSet<string> ModelKeys = ["pretrained", "vocab_size", "hidden_size", "intermediate_size", "num_layers", "num_heads", "num_kv_heads", "head_dim", "rope_theta", "rms_norm_eps", "tie_word_embeddings"];

    public static TrainJob Load(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("file not found", path);
        var yaml = new YamlStream();
        try { yaml.Load(new StringReader(File.ReadAllText(path))); }
        catch (YamlDotNet.Core.YamlException e) { throw new BadInputException($"not valid YAML: {e.Message}", path); }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root) throw new BadInputException("expected a mapping of keys", path);
        return Parse(root, path);
    }

    static TrainJob Parse(YamlMappingNode root, string src)
    {
        var top = Map(root, src, "", TopKeys);
        string? Str(Dictionary<string, YamlNode> m, string key, string prefix = "") =>
            m.TryGetValue(key, out var n) ? (n as YamlScalarNode)?.Value ?? throw new BadInputException("expected a scalar", src, prefix + key) : null;
        T Num<T>(Dictionary<string, YamlNode> m, string key, T fallback, string prefix = "") where T : IParsable<T>
        {
            var s = Str(m, key, prefix);
            if (s is null) return fallback;
            return T.TryParse(s, CultureInfo.InvariantCulture, out var v) ? v : throw new BadInputException($"expected a {typeof(T).Name.ToLowerInvariant()}", src, prefix + key, s);
        }
        bool Bool(Dictionary<string, YamlNode> m, string key, bool fallback, string prefix = "") =>
            Str(m, key, prefix) is { } s ? bool.TryParse(s, out var b) ? b : throw new BadInputException("expected true or false", src, prefix + key, s) : fallback;

        var modelMap = top.TryGetValue("model", out var mn) ? Map(mn as YamlMappingNode ?? throw new BadInputException("expected a mapping", src, "model"), src, "model.", ModelKeys)
            : throw new BadInputException("missing", src, "model");
        var pretrained = Str(modelMap, "pretrained", "model.");
        LlamaConfig? shape = null;
        if (pretrained is null)
        {
            int Req(string key) => Num(modelMap, key, 0, "model.") is var v and > 0 ? v : throw new BadInputException("missing or not a positive integer", src, "model." + key);
            var heads = Req("num_heads");
            var hidden = Req("hidden_size");
            shape = new LlamaConfig(Req("vocab_size"), hidden, Req("intermediate_size"), Req("num_layers"), heads,
                Num(modelMap, "num_kv_heads", heads, "model."), Num(modelMap, "head_dim", hidden / heads, "model."),
                Num(modelMap, "rope_theta", 10000.0, "model."), Num(modelMap, "rms_norm_eps", 1e-5, "model."),
                Bool(modelMap, "tie_word_embeddings", true, "model."), 8192).Validate(src);
        }
        var dataMap = top.TryGetValue("data", out var dn) ? Map(dn as YamlMappingNode ?? throw new BadInputException("expected a mapping", src, "data"), src, "data.", ["litdata", "documents"])
            : throw new BadInputException("missing", src, "data");
        var data = new TrainData(Str(dataMap, "litdata", "data."), Str(dataMap, "documents", "data."));
        if ((data.LitData is null) == (data.Documents is null)) throw new BadInputException("give exactly one of data.litdata or data.documents", src, "data");
        var scheduleText = Str(top, "schedule") ?? "wsd";
        var schedule = Enum.TryParse<LrSchedule>(scheduleText, ignoreCase: true, out var sch) ? sch : throw new BadInputException("expected constant, cosine or wsd", src, "schedule", scheduleText);
        var clip = Num(top, "clip", 1.0);
        var peak = Str(top, "peak_flops") is { } p ? double.TryParse(p, CultureInfo.InvariantCulture, out var pf) ? pf : throw new BadInputException("expected a number", src, "peak_flops", p) : (double?)null;
        var config = new TrainConfig(
            Steps: Num(top, "steps", 0), BatchSize: Num(top, "batch_size", 0), SequenceLength: Num(top, "seq_len", 0), GradAccumulation: Num(top, "grad_accum", 1),
            LearningRate: Num(top, "lr", 5e-4), MinLearningRate: Num(top, "min_lr", 0.0), WarmupSteps: Num(top, "warmup_steps", 0), Schedule: schedule,
            DecayFraction: Num(top, "decay_fraction", 0.2), Beta1: Num(top, "beta1", 0.9), Beta2: Num(top, "beta2", 0.95), Eps: Num(top, "eps", 1e-8),
            WeightDecay: Num(top, "weight_decay", 0.01), ClipNorm: clip > 0 ? clip : null, Bf16: Bool(top, "bf16", true), Seed: Num(top, "seed", 42L),
            CheckpointEvery: Num(top, "checkpoint_every", 0), PeakFlops: peak).Validate(src);
        var output = Str(top, "output") ?? throw new BadInputException("missing", src, "output");
        return new TrainJob(config, shape, pretrained, Str(top, "tokenizer"), data, output, Str(top, "device"), src);
    }

    static Dictionary<string, YamlNode> Map(YamlMappingNode node, string src, string prefix, HashSet<string> allowed)
    {
        var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (k, v) in node.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? throw new BadInputException("keys must be scalars", src, prefix);
            if (!allowed.Contains(key)) throw new BadInputException($"unknown key (expected one of {string.Join(", ", allowed.Order())})", src, prefix + key);
            result[key] = v;
        }
        return result;
    }
}
