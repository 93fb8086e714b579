using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SafetyNotebooks.Launch;

/// <summary>The files of a plan folder: pretrain.yaml, launch.sbatch, plan.json and summary.md, each written atomically.</summary>
public static class PlanFiles
{
    public const string Config = "pretrain.yaml";
    public const string Sbatch = "launch.sbatch";
    public const string PlanJson = "plan.json";
    public const string Summary = "summary.md";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes the plan's files into <c>Request.OutDir</c> and returns their paths.</summary>
    public static IReadOnlyList<string> Write(PretrainPlan plan)
    {
        var dir = Path.GetFullPath(plan.Request.OutDir);
        Directory.CreateDirectory(Path.Combine(dir, "slurm"));
        var files = new (string Name, string Text)[]
        {
            (Config, LitGptConfig.ToYaml(plan)),
            (Sbatch, SlurmScript.Build(plan, dir)),
            (PlanJson, JsonSerializer.Serialize(plan, Json) + "\n"),
            (Summary, Summarize(plan)),
        };
        foreach (var (name, text) in files) AtomicFile.WriteAllText(Path.Combine(dir, name), text);
        return files.Select(f => Path.Combine(dir, f.Name)).ToList();
    }

    /// <summary>Reads plan.json back (for submit).</summary>
    public static PretrainPlan Read(string planDir)
    {
        var path = Path.Combine(planDir, PlanJson);
        if (!File.Exists(path)) throw new BadInputException("not a plan folder (no plan.json); run `safetynb launch plan` first", "--plan", value: planDir);
        try { return JsonSerializer.Deserialize<PretrainPlan>(File.ReadAllText(path), Json) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw new BadInputException($"unreadable plan: {e.Message}", path, inner: e); }
    }

    static string N(double v, string format = "N0") => v.ToString(format, CultureInfo.InvariantCulture);

    static string Bytes(double b) => b switch
    {
        >= 1e12 => $"{b / 1e12:0.##} TB",
        >= 1e9 => $"{b / 1e9:0.##} GB",
        >= 1e6 => $"{b / 1e6:0.##} MB",
        _ => $"{b:0} B",
    };

    /// <summary>Pure: a duration in the unit that keeps it readable (a toy run is "40 seconds", not "0 days").</summary>
    public static string Duration(double seconds) => seconds switch
    {
        < 90 => $"{N(seconds, "0.#")} seconds",
        < 90 * 60 => $"{N(seconds / 60, "0.#")} minutes",
        < 48 * 3600 => $"{N(seconds / 3600, "0.#")} hours",
        _ => $"{N(seconds / 86400, "0.##")} days",
    };

    /// <summary>Pure: the human summary of a plan (Markdown).</summary>
    public static string Summarize(PretrainPlan p)
    {
        var r = p.Request;
        var b = p.Batch;
        var c = p.Compute;
        var s = p.Storage;
        var sb = new StringBuilder();
        sb.Append($"# Pretraining plan: {p.Shape.Name} on {r.Nodes} × {r.GpusPerNode} {r.Gpu.ToUpperInvariant()}\n\n");
        sb.Append("| quantity | value |\n|---|---|\n");
        sb.Append($"| parameters (tied embeddings, padded vocab) | {N(c.Parameters)} |\n");
        sb.Append($"| vocabulary | {p.Vocabulary.TokenizerSize} tokenizer ids{(p.Vocabulary.TagAppended ? " + 1 tag" : "")} = {p.Vocabulary.VocabSize}, padded {p.Vocabulary.PaddedVocabSize} |\n");
        sb.Append($"| batch | {b.GlobalBatch} × {b.SeqLength} = {N(b.TokensPerStep)} tokens/step; micro-batch {b.MicroBatch}, gradient accumulation {b.GradientAccumulation} |\n");
        sb.Append($"| optimizer steps | {N(b.OptimizerSteps)} ({N(b.TokensTrained)} tokens) |\n");
        sb.Append($"| FLOPs per token | {c.FlopsPerToken:0.###e+0} = 6N {c.DenseFlopsPerToken:0.###e+0} + attention {c.AttentionFlopsPerToken:0.###e+0} ({100 * c.AttentionFlopsPerToken / c.FlopsPerToken:0.#}%) |\n");
        sb.Append($"| total compute | {c.TotalFlops:0.##e+0} FLOPs |\n");
        sb.Append($"| throughput at {100 * c.Mfu:0.#}% MFU | {N(c.TokensPerSecondPerGpu)} tokens/s per GPU, {N(c.ClusterTokensPerSecond)} tokens/s in all (peak {c.PeakFlopsPerGpu / 1e12:0.#} TFLOPS bf16 dense) |\n");
        sb.Append($"| wall time | **{Duration(c.Days * 86400)}** |\n");
        sb.Append($"| GPU-hours | {N(c.GpuHours)} |\n");
        sb.Append($"| one resumable checkpoint (fp32 weights + AdamW moments) | {Bytes(s.CheckpointBytes)}; weights alone {Bytes(s.WeightBytes)}; {s.Checkpoints} saves at every {r.SaveInterval} steps |\n");
        sb.Append($"| dataset | {Bytes(s.DatasetBytes)} on disk, {N(s.DatasetTokens)} training tokens ({N(s.Epochs, "N2")} passes); the budget as int32 tokens is {Bytes(s.BudgetDatasetBytes)} |\n");
        sb.Append('\n');
        sb.Append("MFU sensitivity (wall time for the same tokens):\n\n| MFU | tokens/s/GPU | wall time |\n|---|---|---|\n");
        foreach (var mfu in new[] { 0.30, 0.35, 0.40, 0.45, 0.50 })
        {
            var tps = ComputeMath.TokensPerSecondPerGpu(mfu, c.PeakFlopsPerGpu, c.FlopsPerToken);
            sb.Append($"| {100 * mfu:0}% | {N(tps)} | {Duration(ComputeMath.TrainingSeconds(b.TokensTrained, b.WorldSize, tps))} |\n");
        }
        sb.Append("\nNotes:\n\n");
        foreach (var n in p.Notes) sb.Append("- ").Append(n).Append('\n');
        sb.Append($"\nFiles: `{Config}` (litgpt pretrain --config), `{Sbatch}` (sbatch), `{PlanJson}`. Submit with `safetynb launch submit --plan {SlurmScript.Quote(Path.GetFullPath(r.OutDir))}`.\n");
        return sb.ToString();
    }
}
