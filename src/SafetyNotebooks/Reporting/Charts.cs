using Microsoft.FSharp.Core;
using Plotly.NET;

namespace SafetyNotebooks.Reporting;

/// <summary>Chart output that renders offline: plotly.js is inlined once per HTML page or notebook.</summary>
public static class Charts
{
    static DisplayOptions Inline() =>
        DisplayOptions.init(null, null, null, null, null, null, FSharpOption<PlotlyJSReference>.Some(PlotlyJSReference.Full));

    /// <summary>The chart as a self-contained HTML document (plotly.js inlined).</summary>
    public static string ToStandaloneHtml(GenericChart chart) =>
        GenericChart.toEmbeddedHTML(GenericChart.addDisplayOptions(Inline(), Sized(chart)));

    /// <summary>The chart as an HTML fragment (a div and its script) that needs plotly.js already on the page.</summary>
    public static string ToFragment(GenericChart chart) =>
        GenericChart.toChartHTML(GenericChart.addDisplayOptions(
            DisplayOptions.init(null, null, null, null, null, null, FSharpOption<PlotlyJSReference>.Some(PlotlyJSReference.NoReference)), Sized(chart)));

    /// <summary>Writes the chart as a self-contained HTML file, atomically.</summary>
    public static string SaveHtml(GenericChart chart, string path)
    {
        AtomicFile.WriteAllText(path, ToStandaloneHtml(chart));
        return path;
    }

    /// <summary>
    /// plotly.js exactly as Plotly.NET ships it: the minified script embedded in Plotly.NET.dll as a manifest resource
    /// named after <c>Globals.PLOTLYJS_VERSION</c> (the version Plotly.NET's own HTML output references).
    /// </summary>
    public static string PlotlyJs() => LazyPlotlyJs.Value;

    /// <summary>The plotly.js version Plotly.NET renders with.</summary>
    public static string PlotlyJsVersion => global::Globals.PLOTLYJS_VERSION;

    static readonly Lazy<string> LazyPlotlyJs = new(() =>
    {
        var assembly = typeof(GenericChart).Assembly;
        var name = $"Plotly.NET.plotly-{PlotlyJsVersion}.min.js";
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} has no embedded resource {name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>A script element holding plotly.js, to put once in a page's head.</summary>
    public static string PlotlyJsScript() => "<script type=\"text/javascript\" charset=\"utf-8\">" + PlotlyJs() + "</script>";

    /// <summary>Default size for page and notebook charts: wide enough that titles and legends are not cut.</summary>
    public const int Width = 960, Height = 480;

    /// <summary>The chart at the default page size.</summary>
    public static GenericChart Sized(GenericChart chart) => Plotly.NET.Chart.withSize(FSharpOption<int>.Some(Width), FSharpOption<int>.Some(Height)).Invoke(chart);

    /// <summary>Sets a chart title (Plotly.NET.CSharp has no WithTitle).</summary>
    public static GenericChart Titled(this GenericChart chart, string title) =>
        Plotly.NET.Chart.withTitle(title, null).Invoke(chart);
}
