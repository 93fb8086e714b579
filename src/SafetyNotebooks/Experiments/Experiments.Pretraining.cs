using Microsoft.Data.Analysis;
using Plotly.NET;
using SafetyNotebooks.Launch;
using SafetyNotebooks.Reporting;

namespace SafetyNotebooks;

public static partial class Experiments
{
    /// <summary>Options of the pretraining experiment (notebook 05). Defaults are the paper's run (PAPER.md §1.8).</summary>
    /// <param name="DataDir">Where the LitData folder will live on the cluster (planned, not read).</param>
    /// <param name="TokenizerDir">Where SmolLM2's tokenizer (49152 ids) will live on the cluster.</param>
    public sealed record PretrainingOptions(
        string Model = "SmolLM2-1.7B",
        int Nodes = 4,
        int GpusPerNode = 8,
        double Tokens = 600e9,
        string Gpu = "h100",
        double Mfu = 0.4,
        string Tag = Tagging.TagOptions.DefaultTag,
        string DataDir = "/cluster/data/safelm-600B",
        string TokenizerDir = "/cluster/tokenizers/SmolLM2-1.7B",
        string? OutDir = null);

    public sealed record PretrainingResult(
        PretrainPlan Plan,
        IReadOnlyList<string> Files,
        string Yaml,
        string Sbatch,
        string Summary,
        GenericChart DaysChart,
        DataFrame Sizes);

    /// <summary>
    /// The compute plan of the paper's pretraining run and the LitGPT config and SLURM script that launch it
    /// (PRETRAINING.md §1, §4–6): FLOPs per token, wall time and GPU-hours at the assumed MFU, storage, and the config
    /// keys that differ from SmolLM2's recipe. The dataset and tokenizer are described by their sizes, so the plan can be
    /// made on a laptop; <c>safetynb launch plan</c> checks real folders.
    /// </summary>
    public static PretrainingResult Pretraining(PretrainingOptions? options = null)
    {
        var o = options ?? new PretrainingOptions();
        var outDir = o.OutDir ?? Path.Combine(Path.GetTempPath(), $"safetynb-plan-{Guid.NewGuid():N}");
        var request = new PretrainRequest(o.Model, o.Nodes, o.GpusPerNode, o.Tokens, o.DataDir, o.TokenizerDir, outDir, o.Tag, o.Gpu, o.Mfu);
        var tokens = (long)o.Tokens;
        var plan = PretrainPlanner.Plan(request, TokenizerVocabulary.ForSize(49152, o.Tag), LitDataFolder.Planned(o.DataDir, tokens, tokens / 1000));
        var files = PlanFiles.Write(plan);

        var mfus = Enumerable.Range(25, 31).Select(p => p / 100.0).ToArray();
        var gpu = Gpus.Find(o.Gpu);
        var lines = ModelShapes.All.Select(shape =>
        {
            var flops = ComputeMath.TrainingFlopsPerToken(shape, plan.Vocabulary.PaddedVocabSize, plan.Batch.SeqLength);
            var days = mfus.Select(m => ComputeMath.TrainingSeconds(plan.Batch.TokensTrained, plan.Batch.WorldSize, ComputeMath.TokensPerSecondPerGpu(m, gpu.PeakBf16Flops, flops)) / 86400).ToArray();
            return Plotly.NET.CSharp.Chart.Line<double, double, string>(mfus.Select(m => 100 * m).ToArray(), days, Name: shape.Name);
        });
        var chart = Plotly.NET.CSharp.Chart.Combine(lines)
            .Titled($"Days for {plan.Batch.TokensTrained / 1e9:0} B tokens on {plan.Batch.WorldSize} × {gpu.Name.ToUpperInvariant()} against MFU (%)");

        var shapes = ModelShapes.All;
        double Flops(ModelShape s) => ComputeMath.TrainingFlopsPerToken(s, plan.Vocabulary.PaddedVocabSize, plan.Batch.SeqLength);
        double Days(ModelShape s) => ComputeMath.TrainingSeconds(plan.Batch.TokensTrained, plan.Batch.WorldSize, ComputeMath.TokensPerSecondPerGpu(o.Mfu, gpu.PeakBf16Flops, Flops(s))) / 86400;
        var sizes = new DataFrame(
            new StringDataFrameColumn("model", shapes.Select(s => s.Name)),
            new PrimitiveDataFrameColumn<long>("parameters", shapes.Select(s => ComputeMath.TotalParams(s, plan.Vocabulary.PaddedVocabSize, tied: true))),
            new PrimitiveDataFrameColumn<double>("GFLOPs per token", shapes.Select(s => Math.Round(Flops(s) / 1e9, 3))),
            new PrimitiveDataFrameColumn<double>($"days at {100 * o.Mfu:0}% MFU", shapes.Select(s => Math.Round(Days(s), 2))),
            new PrimitiveDataFrameColumn<double>("GPU-hours", shapes.Select(s => Math.Round(Days(s) * 24 * plan.Batch.WorldSize))));
        return new PretrainingResult(plan, files, File.ReadAllText(files[0]), File.ReadAllText(files[1]), File.ReadAllText(files[3]), chart, sizes);
    }
}
