using System.Globalization;
using System.Text.Json;

namespace SafetyNotebooks.Launch;

/// <summary>One logged step of a LitGPT run (every field but the step is optional: loggers write sparse rows).</summary>
public sealed record MetricPoint(long Step, double? Loss, double? ValLoss, double? TokensPerSecondPerGpu, double? TotalTokens, double? LearningRate, double? Mfu);

/// <summary>A run's progress as read from its logs.</summary>
public sealed record TrainingStatus(IReadOnlyList<string> Files, IReadOnlyList<MetricPoint> Points)
{
    public MetricPoint? Last => Points.Count == 0 ? null : Points[^1];
    public double? LastLoss => Points.LastOrDefault(p => p.Loss is not null)?.Loss;
    public double? LastValLoss => Points.LastOrDefault(p => p.ValLoss is not null)?.ValLoss;
    public double? MeanTokensPerSecondPerGpu
    {
        get
        {
            var recent = Points.Where(p => p.TokensPerSecondPerGpu is not null).TakeLast(50).Select(p => p.TokensPerSecondPerGpu!.Value).ToList();
            return recent.Count == 0 ? null : recent.Average();
        }
    }
}

/// <summary>
/// Reads LitGPT's metric logs: the CSV logger's <c>metrics.csv</c> (<c>out_dir/logs/csv/version_*/metrics.csv</c>,
/// one column per logged key, empty cells where a row lacks a key) and JSON-lines logs (one object per line); Reporting.LossChart plots
/// loss and throughput. Keys follow LitGPT's <c>fit()</c> and Lightning's ThroughputMonitor.
/// </summary>
public static class TrainingMetrics
{
    static readonly string[] StepKeys = ["step", "iter"];
    static readonly string[] LossKeys = ["loss", "train_loss", "train/loss"];
    static readonly string[] ValLossKeys = ["val_loss", "val/loss"];
    static readonly string[] DeviceThroughputKeys = ["device/items_per_sec", "device/tokens_per_sec", "tokens_per_sec_per_gpu"];
    static readonly string[] TokensKeys = ["total_tokens", "tokens"];
    static readonly string[] LrKeys = ["learning_rate", "lr"];
    static readonly string[] MfuKeys = ["device/mfu", "mfu"];

    public static TrainingStatus Read(string dir)
    {
        if (!Directory.Exists(dir)) throw new BadInputException("folder does not exist", "--out", value: dir);
        var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) == "metrics.csv" || f.EndsWith(".jsonl", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        var points = files.SelectMany(f => f.EndsWith(".csv", StringComparison.Ordinal) ? ParseCsv(File.ReadLines(f), f) : ParseJsonLines(File.ReadLines(f), f));
        // A requeued run logs into a new version_N folder and repeats the steps after its last checkpoint: keep the latest value per step.
        var merged = points.GroupBy(p => p.Step).Select(g => g.Aggregate(Merge)).OrderBy(p => p.Step).ToList();
        return new TrainingStatus(files, merged);
    }

    static MetricPoint Merge(MetricPoint a, MetricPoint b) => new(a.Step, b.Loss ?? a.Loss, b.ValLoss ?? a.ValLoss,
        b.TokensPerSecondPerGpu ?? a.TokensPerSecondPerGpu, b.TotalTokens ?? a.TotalTokens, b.LearningRate ?? a.LearningRate, b.Mfu ?? a.Mfu);

    /// <summary>Pure: points from the lines of a CSV logger file (header first). Rows without a step are skipped.</summary>
    public static IEnumerable<MetricPoint> ParseCsv(IEnumerable<string> lines, string source = "metrics.csv")
    {
        string[]? header = null;
        foreach (var line in lines)
        {
            if (line.Length == 0) continue;
            var cells = line.Split(',');
            if (header is null) { header = cells.Select(c => c.Trim()).ToArray(); continue; }
            var row = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var i = 0; i < Math.Min(cells.Length, header.Length); i++)
                if (double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) row[header[i]] = v;
            if (ToPoint(row) is { } p) yield return p;
        }
    }

    /// <summary>Pure: points from JSON lines; a torn last line (a run killed mid-write) is skipped.</summary>
    public static IEnumerable<MetricPoint> ParseJsonLines(IEnumerable<string> lines, string source = "metrics.jsonl")
    {
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            Dictionary<string, double>? row = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) continue;
                row = doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number)
                    .ToDictionary(p => p.Name, p => p.Value.GetDouble(), StringComparer.Ordinal);
            }
            catch (JsonException) { }
            if (row is not null && ToPoint(row) is { } p) yield return p;
        }
    }

    static double? First(Dictionary<string, double> row, string[] keys)
    {
        foreach (var k in keys) if (row.TryGetValue(k, out var v)) return v;
        return null;
    }

    static MetricPoint? ToPoint(Dictionary<string, double> row)
    {
        var step = First(row, StepKeys);
        if (step is null) return null;
        var perDevice = First(row, DeviceThroughputKeys);
        if (perDevice is null && row.TryGetValue("items_per_sec", out var all) && row.TryGetValue("world_size", out var world) && world > 0) perDevice = all / world;
        return new MetricPoint((long)step.Value, First(row, LossKeys), First(row, ValLossKeys), perDevice, First(row, TokensKeys), First(row, LrKeys), First(row, MfuKeys));
    }
}
