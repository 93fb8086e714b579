using System.IO.Compression;
using Microsoft.FSharp.Core;
using Plotly.NET;

namespace SafetyNotebooks.Reporting;

/// <summary>
/// Chart output that renders offline: plotly.js (as Plotly.NET ships it) goes once into each HTML page or notebook,
/// and every chart is a small fragment that draws itself with it.
/// </summary>
public static class Charts
{
    /// <summary>Default size for page and notebook charts: wide enough that titles and legends are not cut.</summary>
    public const int Width = 960, Height = 480;

    /// <summary>The chart at the default page size.</summary>
    public static GenericChart Sized(GenericChart chart) =>
        Plotly.NET.Chart.withSize(FSharpOption<int>.Some(Width), FSharpOption<int>.Some(Height)).Invoke(chart);

    /// <summary>The chart as a self-contained HTML document (plotly.js inlined).</summary>
    public static string ToStandaloneHtml(GenericChart chart, string? title = null) =>
        Page(title ?? "chart", ToFragment(chart));

    /// <summary>A self-contained HTML page: plotly.js once in the head, then the body (chart fragments and any other HTML).</summary>
    public static string Page(string title, string body, string style = "") =>
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + System.Net.WebUtility.HtmlEncode(title) + "</title>" +
        (style.Length > 0 ? "<style>" + style + "</style>" : "") + PlotlyJsScript() + "</head><body>" + body + "</body></html>";

    /// <summary>CSS class of every chart's container.</summary>
    public const string ChartClass = "snb-chart";

    /// <summary>
    /// The chart as an HTML fragment — a div and a script that draws Plotly.NET's figure JSON into it — needing plotly.js
    /// on the page: already loaded (<see cref="PlotlyJsScript"/>) or loading (<see cref="PlotlyJsLoader"/>).
    /// </summary>
    public static string ToFragment(GenericChart chart)
    {
        var id = "snb-chart-" + Guid.NewGuid().ToString("N")[..12];
        var figure = GenericChart.toFigureJson(Sized(chart)).Replace("</", "<\\/", StringComparison.Ordinal); // no "</script>" inside the script
        return $"<div id=\"{id}\" class=\"{ChartClass}\"></div><script type=\"text/javascript\">(function () {{" +
               $"var figure = {figure};" +
               $"var draw = function () {{ Plotly.newPlot(\"{id}\", figure.data, figure.layout, {{ displaylogo: false }}); }};" +
               "if (window.Plotly) draw(); else if (window.snbPlotly) window.snbPlotly.then(draw);" +
               "else console.error(\"plotly.js is not loaded on this page\");})();</script>";
    }

    /// <summary>Writes the chart as a self-contained HTML file, atomically.</summary>
    public static string SaveHtml(GenericChart chart, string path)
    {
        AtomicFile.WriteAllText(path, ToStandaloneHtml(chart, Path.GetFileNameWithoutExtension(path)));
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

    /// <summary>A script element holding plotly.js, for a page's head (synchronous: charts below draw at once).</summary>
    public static string PlotlyJsScript() => "<script type=\"text/javascript\" charset=\"utf-8\">" + PlotlyJs() + "</script>";

    /// <summary>
    /// plotly.js gzip-compressed (a third of its 3.6 MB), decompressed by the browser (DecompressionStream) into
    /// <c>window.snbPlotly</c>, a promise of Plotly: keeps executed notebooks small. An AMD loader on the page (classic
    /// Jupyter) is hidden while it runs, so plotly.js sets the global it would otherwise register as a module.
    /// </summary>
    public static string PlotlyJsLoader() => LazyLoader.Value;

    static readonly Lazy<string> LazyLoader = new(() =>
    {
        var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(System.Text.Encoding.UTF8.GetBytes(PlotlyJs()));
        var base64 = Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length);
        return "<script type=\"text/javascript\">window.snbPlotly = window.Plotly ? Promise.resolve(window.Plotly) : window.snbPlotly || (async function () {" +
               $"var bytes = Uint8Array.from(atob(\"{base64}\"), function (c) {{ return c.charCodeAt(0); }});" +
               "var text = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream(\"gzip\"))).text();" +
               "var amd = window.define; window.define = undefined;" +
               "try { (0, eval)(text); } finally { window.define = amd; }" +
               "return window.Plotly;})();</script>";
    });

    /// <summary>Sets a chart title (Plotly.NET.CSharp has no WithTitle).</summary>
    public static GenericChart Titled(this GenericChart chart, string title) =>
        Plotly.NET.Chart.withTitle(title, null).Invoke(chart);
}
