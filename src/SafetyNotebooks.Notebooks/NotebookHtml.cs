using System.Net;
using System.Text;
using Markdig;
using Microsoft.DotNet.Interactive.Documents;

namespace SafetyNotebooks.Notebooks;

/// <summary>A self-contained HTML page of an executed notebook (no external scripts or styles).</summary>
public static class NotebookHtml
{
    static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    const string Style = """
        body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
        .cell{margin:1em 0}.code pre{background:#f6f8fa;border-left:3px solid #4a90d9;padding:.6em;overflow-x:auto}
        .out pre{background:#fff;border-left:3px solid #bbb;padding:.4em .6em;margin:.2em 0;overflow-x:auto}
        .err pre{background:#fff0f0;border-left:3px solid #d33;color:#900}.label{color:#888;font-size:.8em}
        table.snb-table{border-collapse:collapse;font-size:.9em}table.snb-table td,table.snb-table th{border:1px solid #ddd;padding:.2em .5em}
        """;

    public static string Render(InteractiveDocument doc, string title, IReadOnlyList<CellFailure> failures)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title))
          .Append("</title><style>").Append(Style).Append("</style></head><body>");
        if (failures.Count > 0)
            sb.Append("<div class=\"err\"><pre>").Append(WebUtility.HtmlEncode($"cell {failures[0].Cell} failed: {failures[0].Message}")).Append("</pre></div>");
        var index = 0;
        foreach (var cell in doc.Elements)
        {
            index++;
            if (cell.KernelName == "markdown")
            {
                sb.Append("<div class=\"cell md\">").Append(Markdig.Markdown.ToHtml(cell.Contents, Markdown)).Append("</div>");
                continue;
            }
            sb.Append("<div class=\"cell code\"><div class=\"label\">In [").Append(cell.ExecutionOrder > 0 ? cell.ExecutionOrder.ToString() : " ").Append("]</div><pre><code>")
              .Append(WebUtility.HtmlEncode(cell.Contents)).Append("</code></pre>");
            foreach (var output in cell.Outputs) sb.Append(RenderOutput(output));
            sb.Append("</div>");
        }
        return sb.Append("</body></html>").ToString();
    }

    static string RenderOutput(InteractiveDocumentOutputElement output) => output switch
    {
        TextElement t => $"<div class=\"out\"><pre>{WebUtility.HtmlEncode(t.Text)}</pre></div>",
        ErrorElement e => $"<div class=\"err\"><pre>{WebUtility.HtmlEncode($"{e.ErrorName}: {e.ErrorValue}")}</pre></div>",
        ReturnValueElement r when r.Data.TryGetValue("text/html", out var html) => $"<div class=\"out\"><div class=\"label\">Out [{r.ExecutionOrder}]</div>{html}</div>",
        ReturnValueElement r when r.Data.TryGetValue("text/plain", out var text) => $"<div class=\"out\"><div class=\"label\">Out [{r.ExecutionOrder}]</div><pre>{WebUtility.HtmlEncode(text?.ToString() ?? "")}</pre></div>",
        DisplayElement d when d.Data.TryGetValue("text/html", out var html) => $"<div class=\"out\">{html}</div>",
        DisplayElement d when d.Data.TryGetValue("image/png", out var png) => $"<div class=\"out\"><img src=\"data:image/png;base64,{png}\"></div>",
        DisplayElement d when d.Data.TryGetValue("text/plain", out var text) => $"<div class=\"out\"><pre>{WebUtility.HtmlEncode(text?.ToString() ?? "")}</pre></div>",
        _ => "",
    };
}
