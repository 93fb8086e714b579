using System.Diagnostics;

namespace SafetyNotebooks.Bench;

/// <summary>A small benchmark harness: warm-up, repeated timed runs, median; ratios are taken within one process.</summary>
public static class Harness
{
    /// <summary>Every benchmark by name; each stage's benchmark lives in its own file and is listed here.</summary>
    public static Dictionary<string, Func<string[], int>> All() => new()
    {
        ["safetensors"] = SafetensorsBench.Run,
        ["decoding"] = DecodingBench.Run,
        ["decoding-gpu"] = DecodingGpuBench.Run,
        ["decoding-eager"] = EagerDecodingBench.Run,
        ["data"] = DataBench.Run,
        ["toy-encoder"] = ToyEncoderBench.Run,
        ["toy-train"] = ToyTrainingBench.Run,
        ["gte-gpu"] = GteGpuBench.Run,
        ["train"] = TrainingBench.Run,
        ["litdata-export"] = LitDataExportBench.Run,
        ["tag"] = TagBench.Run,
        ["tag-parquet"] = TagParquetBench.Run,
        ["eval"] = EvaluationBench.Run,
        ["tokenizer"] = TokenizerBench.Run,
        ["normalization"] = NormalizationBench.Run,
        ["mix"] = MixBench.Run,
    };

    /// <summary>Median wall time of <paramref name="runs"/> calls after <paramref name="warmup"/> untimed ones.</summary>
    public static TimeSpan Median(Action action, int runs = 5, int warmup = 1)
    {
        for (var i = 0; i < warmup; i++) action();
        var times = new List<TimeSpan>();
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    public static void Row(string name, double value, string unit, double? ratio = null) =>
        Console.WriteLine(ratio is { } r ? $"{name,-48} {value,12:0.00} {unit,-10} {r,8:0.00}×" : $"{name,-48} {value,12:0.00} {unit}");
}
