using SafetyNotebooks.Reporting;

namespace SafetyNotebooks.Notebooks;

/// <summary>
/// Puts plotly.js into a notebook once: chart outputs are fragments that need <c>Plotly</c> on the page, and the first
/// one of a session (a notebook run, a Jupyter kernel) carries the script, compressed. Saved notebooks and their HTML then hold one
/// copy of plotly.js however many charts they draw; frontends render outputs in order, so later charts find it.
/// </summary>
public sealed class PlotlyOnce
{
    bool _sent;

    /// <summary>True when an HTML output draws a Plotly.NET chart.</summary>
    public static bool DrawsChart(string html) => html.Contains($"class=\"{Charts.ChartClass}\"", StringComparison.Ordinal);

    /// <summary>The output, with plotly.js in front if it is the session's first chart.</summary>
    public string Apply(string html)
    {
        if (_sent || !DrawsChart(html)) return html;
        _sent = true;
        return Charts.PlotlyJsLoader() + html;
    }
}
