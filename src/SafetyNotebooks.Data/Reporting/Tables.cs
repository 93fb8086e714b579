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
        double d => Round(d),
        float f => Round(f),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// A number as a reader wants it: whole numbers from 1000 up, three decimals from 1, four significant digits below
    /// (0.2058041621556598 → 0.2058, 1234.567 → 1235, 2.34567 → 2.346, 0.000123456 → 0.0001235).
    /// </summary>
    public static string Round(double v)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        if (double.IsNaN(v) || double.IsInfinity(v)) return v.ToString(c);
        var a = Math.Abs(v);
        return a >= 1000 ? v.ToString("0", c) : a >= 1 ? v.ToString("0.###", c) : a == 0 ? "0" : v.ToString("G4", c);
    }

    /// <summary>
    /// True for values shown as one row of named fields: records, anonymous objects and other classes with public
    /// properties — not scalars, strings or collections.
    /// </summary>
    public static bool IsRecordLike(Type t) =>
        !t.IsPrimitive && !t.IsEnum && t != typeof(string) && t != typeof(decimal) && t != typeof(DateTime) && t != typeof(TimeSpan)
        && !typeof(System.Collections.IEnumerable).IsAssignableFrom(t) && Properties(t).Length > 0;

    static System.Reflection.PropertyInfo[] Properties(Type t) =>
        t.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract").ToArray();

    /// <summary>The element type of a list of records, or null when the list is not one (or is empty).</summary>
    public static Type? RecordElementType(System.Collections.IEnumerable items)
    {
        if (items is string) return null;
        var element = items.GetType().GetInterfaces().Append(items.GetType())
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
        if (element is null || element == typeof(object))
            element = items.Cast<object?>().FirstOrDefault(x => x is not null)?.GetType();
        return element is not null && IsRecordLike(element) ? element : null;
    }

    /// <summary>An HTML table of a list of records: one column per property, numbers rounded, nested values summarised.</summary>
    public static string RecordsToHtml(System.Collections.IEnumerable items, Type element, int maxRows = 50)
    {
        var props = Properties(element);
        var all = items.Cast<object?>().ToList();
        var rows = all.Take(maxRows).Select(item => (IReadOnlyList<object?>)props.Select(p => (object?)Cell(item is null ? null : p.GetValue(item))).ToList());
        var html = ToHtml(props.Select(p => p.Name).ToList(), rows);
        return all.Count > maxRows ? html + $"<p>… {all.Count - maxRows} more rows</p>" : html;
    }

    /// <summary>An HTML table of one record's fields (name, value).</summary>
    public static string RecordToHtml(object record) =>
        ToHtml(["field", "value"], Properties(record.GetType()).Select(p => (IReadOnlyList<object?>)[p.Name, Cell(p.GetValue(record))]));

    /// <summary>A table cell's text: scalars formatted, collections as a count, nested records as their (shortened) text.</summary>
    static string Cell(object? value) => value switch
    {
        null => "",
        string s => Shorten(s, 160),
        System.Collections.ICollection c => $"[{c.Count} items]",
        System.Collections.IEnumerable => "[…]",
        _ when IsRecordLike(value.GetType()) => Shorten(Fields(value), 200),
        _ => Format(value),
    };

    // a nested record's fields on one line, numbers rounded: "F1Macro = 0.2058, RecallAt1 = 0.9"
    static string Fields(object record) =>
        string.Join(", ", Properties(record.GetType()).Select(p => p.GetValue(record) switch
        {
            string v => $"{p.Name} = {Shorten(v, 40)}",
            System.Collections.ICollection c => $"{p.Name} = [{c.Count} items]",
            var v and not null when IsRecordLike(v.GetType()) => $"{p.Name} = {{…}}",
            var v => $"{p.Name} = {Format(v)}",
        }));

    static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
