using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.CSharp;
using SafetyNotebooks.Reporting;

namespace SafetyNotebooks.Evaluation;

/// <summary>One bar: the ASR of <see cref="Series"/> (a model or setting, one colour) in <see cref="Group"/> (an x-axis group: a source, a judge, a decoding strategy).</summary>
public sealed record AsrBar(string Group, string Series, Estimate Asr);

/// <summary>
/// Grouped bar charts of ASR with confidence-interval error bars, laid out like the paper's Fig. 2: groups along the
/// x axis, one coloured bar per model or setting within each group, ASR in percent.
/// </summary>
public static class AsrChart
{
    public static GenericChart Bars(IReadOnlyList<AsrBar> bars, string title = "Attack success rate (95% bootstrap CI)")
    {
        if (bars.Count == 0) throw new ArgumentException("no bars to draw", nameof(bars));
        var groups = bars.Select(b => b.Group).Distinct().ToList();
        var traces = bars.Select(b => b.Series).Distinct().Select(series =>
        {
            var row = groups.Select(g => bars.FirstOrDefault(b => b.Series == series && b.Group == g)).ToList();
            var present = row.Where(b => b is not null && double.IsFinite(b.Asr.Value)).Select(b => b!).ToList();
            var chart = Plotly.NET.CSharp.Chart.Column<double, string, string>(
                values: present.Select(b => 100 * b.Asr.Value).ToArray(),
                Keys: present.Select(b => b.Group).ToArray(),
                Name: series,
                MultiText: present.Select(b => $"{100 * b.Asr.Value:0.#}%").ToArray());
            var plus = present.Select(b => 100 * (b.Asr.Upper - b.Asr.Value)).ToArray();
            var minus = present.Select(b => 100 * (b.Asr.Value - b.Asr.Lower)).ToArray();
            return Plotly.NET.Chart.withYErrorStyle<double, double>(
                FSharpOption<bool>.Some(true), null, FSharpOption<bool>.Some(false),
                FSharpOption<IEnumerable<double>>.Some(plus), FSharpOption<IEnumerable<double>>.Some(minus),
                null, null, null, null, null, null, null, null).Invoke(chart);
        });
        return Plotly.NET.CSharp.Chart.Combine(traces)
            .WithYAxisStyle<double, double, string>(TitleText: "ASR (%)", MinMax: new Tuple<double, double>(0, 100))
            .Titled(title);
    }

    /// <summary>Bars for several settings' reports: one group per source plus "pooled".</summary>
    public static IReadOnlyList<AsrBar> BySource(IEnumerable<(string Setting, AsrReport Report)> reports) =>
        reports.SelectMany(r => r.Report.BySource.Select(s => new AsrBar(s.Key, r.Setting, s.Value.Asr))
            .Append(new AsrBar("pooled", r.Setting, r.Report.Pooled.Asr))).ToList();
}
