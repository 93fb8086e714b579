using System.CommandLine;
using SafetyNotebooks.Notebooks;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb notebooks run</c>: the headless notebook host.</summary>
public static class NotebookCommands
{
    public static Command Build()
    {
        var paths = new Argument<string[]>("paths") { Description = "Notebooks (.ipynb) or folders of notebooks; default: the repository's notebooks/", Arity = ArgumentArity.ZeroOrMore };
        var outputDir = new Option<string>("--output-dir") { Description = "Where executed notebooks and their HTML renderings go", DefaultValueFactory = _ => Path.Combine("artifacts", "notebooks") };
        var cellTimeout = new Option<double?>("--cell-timeout") { Description = "Fail a cell that runs longer than this many seconds" };
        var keepGoing = new Option<bool>("--keep-going") { Description = "Run the remaining cells after a failure" };
        var run = new Command("run", "Execute notebooks headlessly; exit 1 if a cell fails, 2 if a notebook cannot be read") { paths, outputDir, cellTimeout, keepGoing, Cli.JsonOption };
        run.SetHandler(async (parse, output, cancel) =>
        {
            var timeout = parse.GetValue(cellTimeout);
            if (timeout is <= 0) throw new BadInputException("must be positive", "--cell-timeout", value: timeout.ToString());
            var options = new NotebookRunOptions(parse.GetValue(outputDir)!, timeout is { } s ? TimeSpan.FromSeconds(s) : null, parse.GetValue(keepGoing));
            var results = await RunAllAsync(parse.GetValue(paths) ?? [], options, parse.GetValue(Cli.JsonOption), output, parse.InvocationConfiguration.Error, cancel);
            return results.All(r => r.Succeeded) ? ExitCodes.Ok : ExitCodes.Failure;
        });
        var command = new Command("notebooks", "Run the toolkit's notebooks headlessly") { run };
        return command;
    }

    /// <summary>Resolves, parses (all first, so an unreadable notebook stops everything before anything runs) and runs notebooks.</summary>
    public static async Task<IReadOnlyList<NotebookRunResult>> RunAllAsync(IReadOnlyList<string> inputs, NotebookRunOptions options, bool json, TextWriter output, TextWriter log, CancellationToken cancel)
    {
        var files = Resolve(inputs.Count == 0 ? [RepoLayout.NotebooksDir()] : inputs);
        OutputGuard.Folder(options.OutputDirectory, inputs.Count == 0 ? [RepoLayout.NotebooksDir()] : inputs, "--output-dir", readsSubfolders: false);
        var loaded = files.Select(NotebookRunner.Load).ToList();
        var results = new List<NotebookRunResult>();
        foreach (var nb in loaded)
        {
            cancel.ThrowIfCancellationRequested();
            var result = await NotebookRunner.RunAsync(nb, options, json ? null : log, cancel);
            results.Add(result);
            if (!json) output.WriteLine(NotebookRunner.Summary(result));
        }
        if (json)
            Cli.WriteJson(output, results.Select(r => new
            {
                notebook = r.Notebook, ok = r.Succeeded, cells_run = r.CellsRun, code_cells = r.CodeCells,
                failed_cell = r.Failures.FirstOrDefault()?.Cell, error = r.Failures.FirstOrDefault()?.Message,
                seconds = Math.Round(r.Elapsed.TotalSeconds, 2), executed = r.ExecutedNotebook, html = r.HtmlRendering,
            }));
        return results;
    }

    static List<string> Resolve(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input)) files.AddRange(Directory.GetFiles(input, "*.ipynb").Order(StringComparer.Ordinal));
            else if (File.Exists(input)) files.Add(input);
            else throw new BadInputException("no such notebook or folder", input);
        }
        if (files.Count == 0) throw new BadInputException("no notebooks found", string.Join(", ", inputs));
        return files;
    }
}
