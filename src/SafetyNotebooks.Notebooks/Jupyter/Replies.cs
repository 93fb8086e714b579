using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using LinePosition = Microsoft.DotNet.Interactive.LinePosition;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace SafetyNotebooks.Notebooks.Jupyter;

/// <summary>The contents of the kernel's replies and broadcasts, as pure functions of their inputs.</summary>
public static class Replies
{
    public static JsonObject KernelInfo() => new()
    {
        ["status"] = "ok",
        ["protocol_version"] = MessageHeader.ProtocolVersion,
        ["implementation"] = "safetynb",
        ["implementation_version"] = Toolkit.Version,
        ["language_info"] = new JsonObject
        {
            ["name"] = "C#",
            ["version"] = "14.0",
            ["mimetype"] = "text/x-csharp",
            ["file_extension"] = ".cs",
            ["pygments_lexer"] = "csharp",
            ["codemirror_mode"] = "text/x-csharp",
        },
        ["banner"] = $"C# (SafetyNotebooks {Toolkit.Version}): the toolkit, TorchSharp, Plotly.NET and Microsoft.Data.Analysis are preloaded.",
        ["help_links"] = new JsonArray(),
        ["debugger"] = false,
    };

    /// <summary>is_complete: "complete" when C# script parsing finds a whole submission, else "incomplete" (with an indent).</summary>
    public static JsonObject IsComplete(string code)
    {
        if (string.IsNullOrWhiteSpace(code)) return new JsonObject { ["status"] = "complete" };
        var tree = CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script));
        return SyntaxFactory.IsCompleteSubmission(tree)
            ? new JsonObject { ["status"] = "complete" }
            : new JsonObject { ["status"] = "incomplete", ["indent"] = "    " };
    }

    /// <summary>Jupyter counts cursor positions in Unicode code points; Roslyn and .NET Interactive count UTF-16 units per line.</summary>
    public static LinePosition ToLinePosition(string code, int cursorCodePoints)
    {
        var utf16 = CodePointsToUtf16(code, cursorCodePoints);
        var line = 0; var lineStart = 0;
        for (var i = 0; i < utf16; i++)
            if (code[i] == '\n') { line++; lineStart = i + 1; }
        return new LinePosition(line, utf16 - lineStart);
    }

    public static int CodePointsToUtf16(string code, int codePoints)
    {
        var i = 0;
        for (var n = 0; n < codePoints && i < code.Length; n++) i += char.IsHighSurrogate(code[i]) && i + 1 < code.Length ? 2 : 1;
        return i;
    }

    public static int Utf16ToCodePoints(string code, int utf16) =>
        code.AsSpan(0, Math.Min(utf16, code.Length)).ToString().EnumerateRunes().Count();

    /// <summary>The identifier that ends at the cursor: what a completion replaces.</summary>
    public static int WordStart(string code, int utf16Cursor)
    {
        var i = Math.Min(utf16Cursor, code.Length);
        while (i > 0 && (char.IsLetterOrDigit(code[i - 1]) || code[i - 1] == '_')) i--;
        return i;
    }

    public static JsonObject Complete(string code, int cursorCodePoints, IEnumerable<string> matches)
    {
        var cursor = CodePointsToUtf16(code, cursorCodePoints);
        var start = WordStart(code, cursor);
        var prefix = code[start..cursor];
        var list = matches.Where(m => m.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Distinct().Order(StringComparer.Ordinal).ToList();
        return new JsonObject
        {
            ["status"] = "ok",
            ["matches"] = new JsonArray(list.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
            ["cursor_start"] = Utf16ToCodePoints(code, start),
            ["cursor_end"] = cursorCodePoints,
            ["metadata"] = new JsonObject(),
        };
    }

    /// <summary>Completion texts come as editor snippets ("ToUpper($1)"); Jupyter inserts plain text ("ToUpper()").</summary>
    public static string WithoutSnippetMarkers(string insertText) =>
        System.Text.RegularExpressions.Regex.Replace(insertText, @"\$\{\d+:([^}]*)\}|\$\d+", "$1");

    /// <summary>A mime bundle for Jupyter: every formatted value, plus text/plain (which frontends fall back to).</summary>
    public static JsonObject MimeBundle(DisplayEvent d)
    {
        var data = new JsonObject();
        foreach (var f in d.FormattedValues)
            if (!data.ContainsKey(f.MimeType)) data[f.MimeType] = f.Value;
        if (!data.ContainsKey(PlainTextFormatter.MimeType))
            data[PlainTextFormatter.MimeType] = d.Value is null ? "null" : d.Value.ToDisplayString(PlainTextFormatter.MimeType);
        return data;
    }

    /// <summary>The error content of a failed cell: ename, evalue and a traceback (one string per line).</summary>
    public static JsonObject Error(CommandFailed failed)
    {
        var ex = failed.Exception;
        var ename = ex?.GetType().Name ?? "CompilationError";
        var evalue = ex?.Message ?? failed.Message;
        var lines = new List<string> { $"{ename}: {evalue}" };
        if (ex?.StackTrace is { Length: > 0 } stack) lines.AddRange(UserFrames(stack));
        return Error(ename, evalue, lines);
    }

    /// <summary>The stack frames worth showing: the cell's and the libraries' it called, not the script engine's own.</summary>
    public static IEnumerable<string> UserFrames(string stackTrace)
    {
        var frames = stackTrace.Split('\n').Select(l => l.TrimEnd('\r'))
            .Where(l => !l.Contains(" Microsoft.CodeAnalysis.Scripting.", StringComparison.Ordinal)
                        && !l.Contains(" Microsoft.DotNet.Interactive.", StringComparison.Ordinal))
            .ToList();
        while (frames.Count > 0 && frames[^1].StartsWith("---", StringComparison.Ordinal)) frames.RemoveAt(frames.Count - 1);
        return frames;
    }

    public static JsonObject Error(string ename, string evalue, IEnumerable<string> traceback) => new()
    {
        ["ename"] = ename,
        ["evalue"] = evalue,
        ["traceback"] = new JsonArray(traceback.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()),
    };
}
