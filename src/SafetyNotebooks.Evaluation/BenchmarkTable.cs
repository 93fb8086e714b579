using System.Globalization;
using Microsoft.Data.Analysis;
using SafetyNotebooks.Reporting;

namespace SafetyNotebooks.Evaluation;

/// <summary>One row of the benchmark table: a model or data setting and its task results.</summary>
public sealed record BenchmarkRow(string Setting, IReadOnlyList<McResult> Results);

/// <summary>
/// The general-benchmark table (the paper's Table 1): one row per model or data setting, its average over tasks, then
/// one column per task with accuracy in percent and its 95% CI.
/// </summary>
public static class BenchmarkTable
{
    /// <summary>Which accuracy to report.</summary>
    public enum Metric { Acc, AccNorm }

    static Estimate Pick(McResult r, Metric m) => m == Metric.Acc ? r.Acc : r.AccNorm;

    static string Cell(Estimate e) => string.Create(CultureInfo.InvariantCulture, $"{100 * e.Value:0.0}% [{100 * e.Lower:0.0}, {100 * e.Upper:0.0}]");

    static (List<string> Header, List<List<object?>> Rows) Build(IReadOnlyList<BenchmarkRow> rows, Metric metric)
    {
        var tasks = rows.SelectMany(r => r.Results.Select(x => x.Task)).Distinct().ToList();
        var header = new List<string> { "setting", "Avg." };
        header.AddRange(tasks);
        var cells = rows.Select(r =>
        {
            var byTask = r.Results.ToDictionary(x => x.Task);
            var avg = r.Results.Count == 0 ? double.NaN : r.Results.Average(x => Pick(x, metric).Value);
            var line = new List<object?> { r.Setting, string.Create(CultureInfo.InvariantCulture, $"{100 * avg:0.0}%") };
            line.AddRange(tasks.Select(t => byTask.TryGetValue(t, out var x) ? Cell(Pick(x, metric)) : ""));
            return line;
        }).ToList();
        return (header, cells);
    }

    /// <summary>The table as HTML (for reports and files).</summary>
    public static string Html(IReadOnlyList<BenchmarkRow> rows, Metric metric = Metric.AccNorm)
    {
        var (header, cells) = Build(rows, metric);
        return Tables.ToHtml(header, cells);
    }

    /// <summary>The table as a DataFrame (notebooks render it as HTML).</summary>
    public static DataFrame Frame(IReadOnlyList<BenchmarkRow> rows, Metric metric = Metric.AccNorm)
    {
        var (header, cells) = Build(rows, metric);
        return new DataFrame(header.Select((h, c) => (DataFrameColumn)new StringDataFrameColumn(h, cells.Select(r => r[c]?.ToString() ?? ""))));
    }
}
