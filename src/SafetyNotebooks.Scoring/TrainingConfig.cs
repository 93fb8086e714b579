using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace SafetyNotebooks.Scoring;

/// <summary>
/// The YAML file of <c>safetynb scoring train --config FILE.yaml</c>. Paths are relative to the file.
/// <code>
/// train: train.jsonl        # one {"text": ..., "safety_score": 0-5} per line ("score" is accepted too)
/// eval: eval.jsonl          # optional; else eval_fraction of train is held out (seeded)
/// eval_fraction: 0.1
/// output: model/            # the trained classifier (config.json, model.safetensors, tokenizer.json)
/// checkpoints: ckpt/        # optional; atomic per-epoch checkpoints, a rerun resumes
/// recipe: lp-ft             # lp-ft | small-model | toy
/// init_from: gte-large/     # optional pretrained classifier folder (required for lp-ft and small-model)
/// lambda: 100
/// seed: 0
/// max_length: 512
/// epochs: 5                 # toy recipe only
/// device: cpu
/// </code>
/// </summary>
public sealed record TrainingConfig
{
    public string Train { get; init; } = "";
    public string? Eval { get; init; }
    public double EvalFraction { get; init; } = 0.1;
    public string Output { get; init; } = "";
    public string? Checkpoints { get; init; }
    public string Recipe { get; init; } = "lp-ft";
    public string? InitFrom { get; init; }
    public double Lambda { get; init; } = 100;
    public long Seed { get; init; }
    public int MaxLength { get; init; } = 512;
    public int Epochs { get; init; } = 5;
    public string? Device { get; init; }

    public static TrainingConfig Load(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("config file not found", path);
        TrainingConfig c;
        try
        {
            c = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
                .Deserialize<TrainingConfig>(File.ReadAllText(path)) ?? throw new BadInputException("empty config", path);
        }
        catch (YamlException e) { throw new BadInputException($"invalid YAML at line {e.Start.Line}: {e.InnerException?.Message ?? e.Message}", path); }
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Resolve(string p) => Path.GetFullPath(Path.Combine(baseDir, p));
        if (string.IsNullOrWhiteSpace(c.Train)) throw new BadInputException("missing", path, "train");
        if (string.IsNullOrWhiteSpace(c.Output)) throw new BadInputException("missing", path, "output");
        if (c.EvalFraction is <= 0 or >= 1) throw new BadInputException("must be between 0 and 1", path, "eval_fraction", c.EvalFraction.ToString());
        if (c.Lambda <= 0) throw new BadInputException("must be positive", path, "lambda", c.Lambda.ToString());
        Bounds.Within(c.MaxLength, 3, 1 << 20, path, "max_length");
        Bounds.Within(c.Epochs, 1, 10_000, path, "epochs");
        _ = TrainingOptions.Recipe(c.Recipe);
        if (c.Recipe != "toy" && c.InitFrom is null)
            throw new BadInputException($"recipe {c.Recipe} fine-tunes a pretrained classifier: set init_from", path, "init_from");
        return c with
        {
            Train = Resolve(c.Train), Output = Resolve(c.Output), Eval = c.Eval is null ? null : Resolve(c.Eval),
            Checkpoints = c.Checkpoints is null ? null : Resolve(c.Checkpoints), InitFrom = c.InitFrom is null ? null : Resolve(c.InitFrom),
        };
    }

    // the toy recipe trains a tiny encoder, which runs fastest (and machine-independently) on one torch thread, as ToyClassifier does
    public TrainingOptions ToOptions() =>
        new(TrainingOptions.Recipe(Recipe, Epochs), Lambda, Seed, MaxLength, InitFrom, Checkpoints, Device) { Threads = Recipe == "toy" ? 1 : null };
}

/// <summary>Labelled texts from JSON Lines files.</summary>
public static class LabeledTexts
{
    /// <summary>Reads {"text", "safety_score" | "score"} lines; a bad line names the file, line and field.</summary>
    public static List<LabeledText> ReadJsonl(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("file not found", path);
        var result = new List<LabeledText>();
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var where = $"{path} line {n}";
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var text = root.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : throw new BadInputException("missing or not a string", where, "text");
                var has = root.TryGetProperty("safety_score", out var s) || root.TryGetProperty("score", out s);
                if (!has || s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out var score) || score is < 0 or > 5)
                    throw new BadInputException("expected an integer safety score 0..5", where, "safety_score", has ? s.GetRawText() : "(missing)");
                result.Add(new LabeledText(text, score));
            }
            catch (JsonException e) { throw new BadInputException($"not valid JSON: {e.Message}", where); }
        }
        return result;
    }

    /// <summary>A seeded split into (train, held-out) with <paramref name="fraction"/> held out (at least one of each).</summary>
    public static (List<LabeledText> Train, List<LabeledText> Eval) Split(IReadOnlyList<LabeledText> all, double fraction, long seed)
    {
        if (all.Count < 2) throw new BadInputException("need at least 2 examples to hold some out", "training data", "count", all.Count.ToString());
        var order = ClassifierTraining.Shuffle(all.Count, seed, -1);
        var held = Math.Clamp((int)Math.Round(all.Count * fraction), 1, all.Count - 1);
        return (order.Skip(held).Select(i => all[i]).ToList(), order.Take(held).Select(i => all[i]).ToList());
    }
}
