using System.Diagnostics;
using System.Text;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;

namespace SafetyNotebooks.Notebooks;

public sealed record NotebookRunOptions(string OutputDirectory, TimeSpan? CellTimeout = null, bool KeepGoing = false);

/// <summary>A cell that failed: its 1-based position among all cells of the notebook, and the error.</summary>
public sealed record CellFailure(int Cell, string Message);

public sealed record NotebookRunResult(
    string Notebook,
    int CellsRun,
    int CodeCells,
    IReadOnlyList<CellFailure> Failures,
    TimeSpan Elapsed,
    string ExecutedNotebook,
    string HtmlRendering)
{
    public bool Succeeded => Failures.Count == 0;
}

/// <summary>A parsed notebook, ready to run.</summary>
public sealed record LoadedNotebook(string Path, InteractiveDocument Document);

/// <summary>
/// Executes .ipynb notebooks headlessly in this process: stops at the first failing cell (unless told to keep going),
/// writes the executed notebook with its outputs and a self-contained HTML rendering of it, atomically.
/// </summary>
public static class NotebookRunner
{
    public static KernelInfoCollection KernelInfos()
    {
        var infos = new KernelInfoCollection
        {
            new Microsoft.DotNet.Interactive.Documents.KernelInfo("csharp", "C#", ["c#", "C#", "cs"]),
            new Microsoft.DotNet.Interactive.Documents.KernelInfo("markdown", "Markdown", ["md"]),
        };
        infos.DefaultKernelName = "csharp";
        return infos;
    }

    /// <summary>Reads and parses a notebook; a missing or malformed file is <see cref="BadInputException"/>.</summary>
    public static LoadedNotebook Load(string path)
    {
        if (!File.Exists(path)) throw new BadInputException("notebook not found", path);
        string text;
        try { text = File.ReadAllText(path); }
        catch (IOException e) { throw new BadInputException($"cannot read notebook: {e.Message}", path, inner: e); }
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            NotebookSchema.Check(doc.RootElement, path);
            var parsed = Path.GetExtension(path).Equals(".dib", StringComparison.OrdinalIgnoreCase)
                ? CodeSubmission.Parse(text, KernelInfos())
                : Notebook.Parse(text, KernelInfos());
            return new LoadedNotebook(path, parsed);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new BadInputException($"not valid JSON (line {e.LineNumber + 1}): {e.Message}", path, inner: e);
        }
        catch (Exception e) when (e is not BadInputException)
        {
            // the schema is checked first; whatever the parser still refuses is bad input too, never a crash
            throw new BadInputException($"not a readable notebook: {e.Message}", path, inner: e);
        }
    }

    /// <summary>
    /// Runs one notebook in a fresh kernel whose cells see the notebook's folder as <c>NotebookFolder</c>. The process's
    /// current directory is never changed: other work in the process (tests in parallel, a server) keeps its own.
    /// </summary>
    public static async Task<NotebookRunResult> RunAsync(LoadedNotebook notebook, NotebookRunOptions options, TextWriter? log = null, CancellationToken cancel = default)
    {
        var sw = Stopwatch.StartNew();
        var fullPath = Path.GetFullPath(notebook.Path);
        using var kernel = await NotebookKernel.CreateAsync(Path.GetDirectoryName(fullPath)!);
        var run = await RunCellsAsync(kernel, notebook.Document, options, log, cancel);
        var (ipynb, html) = WriteOutputs(notebook.Document, Path.GetFileNameWithoutExtension(fullPath), run.Failures, options.OutputDirectory);
        return new NotebookRunResult(fullPath, run.CellsRun, run.CodeCells, run.Failures, sw.Elapsed, ipynb, html);
    }

    sealed record CellRuns(int CellsRun, int CodeCells, IReadOnlyList<CellFailure> Failures);

    // every code cell in order; after a failure the rest are counted but skipped, unless told to keep going
    static async Task<CellRuns> RunCellsAsync(Kernel kernel, InteractiveDocument document, NotebookRunOptions options, TextWriter? log, CancellationToken cancel)
    {
        var failures = new List<CellFailure>();
        int cellsRun = 0, codeCells = 0, index = 0;
        var plotly = new PlotlyOnce();
        foreach (var cell in document.Elements)
        {
            index++;
            if (!IsCode(cell)) continue;
            codeCells++;
            if (failures.Count > 0 && !options.KeepGoing) continue;
            cell.Outputs.Clear();
            cellsRun++;
            cell.ExecutionOrder = cellsRun;
            var failure = await RunCellAsync(kernel, cell, index, cellsRun, plotly, options.CellTimeout, log, cancel);
            if (failure is not null) failures.Add(failure);
        }
        return new CellRuns(cellsRun, codeCells, failures);
    }

    // the executed notebook and its HTML rendering, each written atomically
    static (string Ipynb, string Html) WriteOutputs(InteractiveDocument document, string name, IReadOnlyList<CellFailure> failures, string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        var ipynb = Path.Combine(outputDirectory, name + ".ipynb");
        var html = Path.Combine(outputDirectory, name + ".html");
        var buffer = new MemoryStream();
        Notebook.Write(document, buffer, KernelInfos()); // closes the stream; ToArray still works
        AtomicFile.WriteAllBytes(ipynb, buffer.ToArray());
        AtomicFile.WriteAllText(html, NotebookHtml.Render(document, name, failures));
        return (ipynb, html);
    }

    static bool IsCode(InteractiveDocumentElement cell) =>
        cell.KernelName is null or "csharp" or "C#" or "c#" && !string.IsNullOrWhiteSpace(cell.Contents);

    static async Task<CellFailure?> RunCellAsync(Kernel kernel, InteractiveDocumentElement cell, int index, int executionCount, PlotlyOnce plotly,
        TimeSpan? timeout, TextWriter? log, CancellationToken cancel)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var submit = new SubmitCode(cell.Contents, "csharp");
        var run = kernel.SendAsync(submit, cts.Token);
        var limit = timeout is { } t ? Task.Delay(t, cancel) : Task.Delay(Timeout.Infinite, cancel);
        var finished = await Task.WhenAny(run, limit);
        if (finished != run)
        {
            await cts.CancelAsync();
            _ = kernel.SendAsync(new Cancel());
            var message = cancel.IsCancellationRequested ? "cancelled" : $"timed out after {timeout!.Value.TotalSeconds:0.#} s";
            cell.Outputs.Add(new ErrorElement(message, "TimeoutException", []));
            log?.WriteLine($"  cell {index}: {message}");
            return new CellFailure(index, message);
        }

        return Record(cell, (await run).Events, index, executionCount, plotly, log);
    }

    // the cell's outputs from the kernel's events, in order; the failure when a command failed
    static CellFailure? Record(InteractiveDocumentElement cell, IEnumerable<KernelEvent> events, int index, int executionCount, PlotlyOnce plotly, TextWriter? log)
    {
        CellFailure? failure = null;
        foreach (var ev in events)
        {
            switch (ev)
            {
                case StandardOutputValueProduced o:
                    cell.Outputs.Add(new TextElement(o.FormattedValues.First().Value, "stdout"));
                    break;
                case StandardErrorValueProduced e:
                    cell.Outputs.Add(new TextElement(e.FormattedValues.First().Value, "stderr"));
                    break;
                case ErrorProduced:
                    break; // reported through CommandFailed
                case ReturnValueProduced r: // the value of the cell's last expression: Jupyter's execute_result, with its count
                    var value = new ReturnValueElement { ExecutionOrder = executionCount };
                    foreach (var (mime, data) in Bundle(r, plotly)) value.Data[mime] = data;
                    cell.Outputs.Add(value);
                    break;
                case DisplayEvent d:
                    cell.Outputs.Add(new DisplayElement(Bundle(d, plotly)));
                    break;
                case CommandFailed f:
                    var message = f.Exception is { } ex ? $"{ex.GetType().Name}: {ex.Message}" : f.Message;
                    cell.Outputs.Add(new ErrorElement(message, f.Exception?.GetType().Name ?? "Error", (f.Exception?.StackTrace ?? "").Split('\n')));
                    failure = new CellFailure(index, message);
                    log?.WriteLine($"  cell {index} failed: {message}");
                    break;
            }
        }
        return failure;
    }

    // one entry per mime type; the session's first chart carries plotly.js
    static Dictionary<string, object> Bundle(DisplayEvent d, PlotlyOnce plotly) =>
        d.FormattedValues.GroupBy(f => f.MimeType).ToDictionary(g => g.Key,
            g => (object)(g.Key == "text/html" ? plotly.Apply(g.First().Value) : g.First().Value));

    /// <summary>The one-line summary printed per notebook.</summary>
    public static string Summary(NotebookRunResult r) =>
        r.Succeeded
            ? $"ok     {Path.GetFileName(r.Notebook)}: {r.CellsRun}/{r.CodeCells} cells in {r.Elapsed.TotalSeconds:0.0} s -> {r.ExecutedNotebook}"
            : $"FAILED {Path.GetFileName(r.Notebook)}: cell {r.Failures[0].Cell}: {FirstLine(r.Failures[0].Message)} ({r.CellsRun}/{r.CodeCells} cells ran, {r.Elapsed.TotalSeconds:0.0} s) -> {r.ExecutedNotebook}";

    static string FirstLine(string s)
    {
        var i = s.IndexOf('\n');
        return i < 0 ? s : s[..i];
    }
}
