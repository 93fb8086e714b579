using System.Net;
using System.Text;
using Microsoft.Data.Analysis;

namespace SafetyNotebooks.Reporting;

/// <summary>HTML and text renderings of tables for notebooks and reports.</summary>
public static class Tables
{
    /// <summary>An HTML table of the first <paramref name="maxRows"/> rows of <paramref name="df"/>.</summary>
    public static string ToHtml(DataFrame df, int maxRows = 50)
    {
        var sb = new StringBuilder("<table class=\"snb-table\"><thead><tr>");
        foreach (var c in df.Columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(c.Name)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        var rows = Math.Min(df.Rows.Count, maxRows);
        for (long r = 0; r < rows; r++)
        {
            sb.Append("<tr>");
            foreach (var c in df.Columns) sb.Append("<td>").Append(WebUtility.HtmlEncode(Format(c[r]))).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
        if (df.Rows.Count > rows) sb.Append($"<p>… {df.Rows.Count - rows} more rows</p>");
        return sb.ToString();
    }

    /// <summary>An HTML table from rows of cells (header first).</summary>
    public static string ToHtml(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        var sb = new StringBuilder("<table class=\"snb-table\"><thead><tr>");
        foreach (var h in header) sb.Append("<th>").Append(WebUtility.HtmlEncode(h)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row) sb.Append("<td>").Append(WebUtility.HtmlEncode(Format(cell))).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    public static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
