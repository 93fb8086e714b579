using Microsoft.FSharp.Core;
using Plotly.NET;

namespace SafetyNotebooks.Reporting;

/// <summary>Chart output that renders offline: plotly.js is inlined into every HTML file and notebook output.</summary>
public static class Charts
{
    static DisplayOptions Inline() =>
        DisplayOptions.init(null, null, null, null, null, null, FSharpOption<PlotlyJSReference>.Some(PlotlyJSReference.Full));

    /// <summary>The chart as a self-contained HTML document (plotly.js inlined).</summary>
    public static string ToStandaloneHtml(GenericChart chart) =>
        GenericChart.toEmbeddedHTML(GenericChart.addDisplayOptions(Inline(), chart));

    /// <summary>The chart as an HTML fragment (a div and its script) that needs plotly.js already on the page.</summary>
    public static string ToFragment(GenericChart chart) =>
        GenericChart.toChartHTML(GenericChart.addDisplayOptions(
            DisplayOptions.init(null, null, null, null, null, null, FSharpOption<PlotlyJSReference>.Some(PlotlyJSReference.NoReference)), chart));

    /// <summary>Writes the chart as a self-contained HTML file, atomically.</summary>
    public static string SaveHtml(GenericChart chart, string path)
    {
        AtomicFile.WriteAllText(path, ToStandaloneHtml(chart));
        return path;
    }

    /// <summary>plotly.js as embedded in Plotly.NET, for pages that hold several charts.</summary>
    public static string PlotlyJs()
    {
        var html = ToStandaloneHtml(Plotly.NET.CSharp.Chart.Point<double, double, string>(new[] { 0.0 }, new[] { 0.0 }));
        var start = html.IndexOf("<script type=\"text/javascript\">", StringComparison.Ordinal);
        var end = start < 0 ? -1 : html.IndexOf("</script>", start, StringComparison.Ordinal);
        return start < 0 || end < 0 ? "" : html[(start + "<script type=\"text/javascript\">".Length)..end];
    }

    /// <summary>Sets a chart title (Plotly.NET.CSharp has no WithTitle).</summary>
    public static GenericChart Titled(this GenericChart chart, string title) =>
        Plotly.NET.Chart.withTitle(title, null).Invoke(chart);
}
