using System.Text.Json.Nodes;

namespace SafetyNotebooks.Tests.Foundation;

/// <summary>The headless notebook host: outputs, stop at first failure, exit codes.</summary>
[Collection("notebooks")] // one notebook at a time: each starts a C# kernel, heavy on a small machine
public class NotebookHostTests
{
    static string WriteNotebook(string dir, string name, params string[] cells)
    {
        var nb = new JsonObject
        {
            ["cells"] = new JsonArray(cells.Select(c => (JsonNode)new JsonObject
            {
                ["cell_type"] = c.StartsWith("# ") ? "markdown" : "code",
                ["metadata"] = new JsonObject(),
                ["source"] = c,
                ["outputs"] = c.StartsWith("# ") ? null : new JsonArray(),
                ["execution_count"] = null,
            }).ToArray()),
            ["metadata"] = new JsonObject { ["kernelspec"] = new JsonObject { ["name"] = "safetynb", ["display_name"] = "C# (SafetyNotebooks)", ["language"] = "C#" } },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        foreach (var cell in nb["cells"]!.AsArray().OfType<JsonObject>().Where(c => c["cell_type"]!.GetValue<string>() == "markdown").ToList())
            cell.Remove("outputs");
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, nb.ToJsonString());
        return path;
    }

    [Fact]
    public async Task Executes_cells_and_writes_outputs_and_html()
    {
        var dir = TestDirs.Fresh();
        var nb = WriteNotebook(dir, "ok.ipynb", "# Title", "Console.WriteLine(\"hello from cell\");", "1 + 41",
            "Plotly.NET.CSharp.Chart.Line<double,double,string>(x: new[]{1.0,2.0}, y: new[]{3.0,4.0})");
        var r = await CliRunner.RunAsync("notebooks", "run", nb, "--output-dir", Path.Combine(dir, "out"));
        Assert.True(r.Code == 0, r.Out + r.Err);
        var executed = File.ReadAllText(Path.Combine(dir, "out", "ok.ipynb"));
        Assert.Contains("hello from cell", executed);
        Assert.Contains("42", executed);
        var html = File.ReadAllText(Path.Combine(dir, "out", "ok.html"));
        Assert.Contains("<h1", html);
        Assert.Contains("hello from cell", html);
        Assert.DoesNotContain("src=\"https://cdn.plot.ly", html); // plotly.js is inlined: renders offline
        Assert.Contains("Plotly.newPlot", html);
        Assert.Contains("ok     ok.ipynb", r.Out);
    }

    [Fact]
    public async Task A_failing_cell_stops_the_notebook_with_exit_1_naming_the_cell()
    {
        var dir = TestDirs.Fresh();
        var nb = WriteNotebook(dir, "bad.ipynb", "# Heading", "var x = 1;", "throw new InvalidOperationException(\"cell exploded\");", "Console.WriteLine(\"never\");");
        var r = await CliRunner.RunAsync("notebooks", "run", nb, "--output-dir", Path.Combine(dir, "out"));
        Assert.Equal(1, r.Code);
        Assert.Contains("cell 3", r.Out);
        Assert.Contains("cell exploded", r.Out);
        var executed = File.ReadAllText(Path.Combine(dir, "out", "bad.ipynb"));
        Assert.DoesNotContain("never\\n", executed.Replace("Console.WriteLine(\\\"never\\\")", ""));
    }

    [Fact]
    public async Task A_compile_error_is_a_failed_cell()
    {
        var dir = TestDirs.Fresh();
        var nb = WriteNotebook(dir, "cs.ipynb", "int y = \"text\";");
        var r = await CliRunner.RunAsync("notebooks", "run", nb, "--output-dir", Path.Combine(dir, "out"));
        Assert.Equal(1, r.Code);
        Assert.Contains("cell 1", r.Out);
    }

    [Fact]
    public async Task A_cell_past_its_timeout_fails()
    {
        var dir = TestDirs.Fresh();
        var nb = WriteNotebook(dir, "slow.ipynb", "await Task.Delay(20000);");
        var r = await CliRunner.RunAsync("notebooks", "run", nb, "--output-dir", Path.Combine(dir, "out"), "--cell-timeout", "1");
        Assert.Equal(1, r.Code);
        Assert.Contains("timed out", r.Out);
    }

    // every string value under a JSON node (a cell's output text may be one string or a list of lines)
    static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var text) => [text],
        _ => [],
    };

    [Fact]
    public async Task The_runner_never_changes_the_current_directory_and_cells_resolve_paths_against_their_notebooks_folder()
    {
        // a folder name that needs escaping in the C# literal the kernel declares
        var folder = Directory.CreateDirectory(Path.Combine(TestDirs.Fresh(), "note \"books\" {x}")).FullName;
        File.WriteAllText(Path.Combine(folder, "data.txt"), "beside the notebook");
        var nb = WriteNotebook(folder, "paths.ipynb",
            "Console.WriteLine(\"read: \" + File.ReadAllText(Path.Combine(NotebookFolder, \"data.txt\")));",
            "Console.WriteLine(\"cwd during: \" + Environment.CurrentDirectory);",
            "File.WriteAllText(Path.Combine(NotebookFolder, \"written.txt\"), \"from a cell\");");
        var before = Environment.CurrentDirectory;
        Assert.NotEqual(folder, before);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
        using var stop = new CancellationTokenSource();
        // a parallel observer, as another test running beside the notebook would see the process
        var observer = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested) { seen.TryAdd(Environment.CurrentDirectory, 0); Thread.Sleep(1); }
        }, TaskCreationOptions.LongRunning);
        var result = await SafetyNotebooks.Notebooks.NotebookRunner.RunAsync(
            SafetyNotebooks.Notebooks.NotebookRunner.Load(nb), new SafetyNotebooks.Notebooks.NotebookRunOptions(Path.Combine(folder, "out")));
        await stop.CancelAsync();
        await observer;

        Assert.True(result.Succeeded, string.Join("\n", result.Failures));
        Assert.Equal(before, Environment.CurrentDirectory);
        Assert.Equal([before], seen.Keys);
        var printed = string.Concat(Strings(JsonNode.Parse(File.ReadAllText(result.ExecutedNotebook))!["cells"]!));
        Assert.Contains("read: beside the notebook", printed);
        Assert.Contains("cwd during: " + before + "\n", printed);
        Assert.Equal("from a cell", File.ReadAllText(Path.Combine(folder, "written.txt")));
        Assert.False(File.Exists(Path.Combine(before, "written.txt")));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"no_cells\": true}")]
    public async Task An_unreadable_notebook_is_exit_2_and_nothing_runs(string contents)
    {
        var dir = TestDirs.Fresh();
        var good = WriteNotebook(dir, "a-good.ipynb", "Console.WriteLine(1);");
        var bad = Path.Combine(dir, "b-bad.ipynb");
        File.WriteAllText(bad, contents);
        var r = await CliRunner.RunAsync("notebooks", "run", good, bad, "--output-dir", Path.Combine(dir, "out"));
        Assert.Equal(2, r.Code);
        Assert.Contains("b-bad.ipynb", r.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public async Task Missing_notebook_is_exit_2()
    {
        var r = await CliRunner.RunAsync("notebooks", "run", "/nonexistent/x.ipynb");
        Assert.Equal(2, r.Code);
    }
}

[Collection("notebooks")]
public class RepositoryNotebookTests
{
    [Fact]
    public void Notebooks_and_docs_need_no_build_folder_no_test_fixture_and_no_file_outside_the_repository()
    {
        var root = TestDirs.RepoRoot();
        var files = Directory.GetFiles(Path.Combine(root, "notebooks"), "*.ipynb")
            .Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md")).Append(Path.Combine(root, "README.md")).ToList();
        Assert.True(files.Count >= 10, string.Join(", ", files));
        foreach (var f in files)
        {
            var text = File.ReadAllText(f);
            foreach (var bad in new[] { "PAPER.md", "../shared", "#r \\\"../", "../tests/" })
                Assert.False(text.Contains(bad, StringComparison.Ordinal), $"{f} mentions {bad}");
            // an absolute path of this machine's checkouts (/work/...), not a relative folder named work (OUT/work/)
            Assert.False(System.Text.RegularExpressions.Regex.IsMatch(text, @"(?<![\w./])/work/"), $"{f} mentions an absolute /work/ path");
        }
        // the first cell of every notebook says how to get the kernel
        foreach (var nb in files.Where(f => f.EndsWith(".ipynb", StringComparison.Ordinal)))
            Assert.Contains("safetynb kernel install", File.ReadAllText(nb) is var t && t.Length > 4000 ? t[..4000] : t);
    }

    [Fact]
    public async Task Quickstart_notebook_runs_with_the_toolkit_the_host_preloads()
    {
        var root = TestDirs.RepoRoot();
        var cliDll = Path.Combine(root, "src", "SafetyNotebooks.Cli", "bin", "safetynb", "SafetyNotebooks.dll");
        Assert.True(File.Exists(cliDll), "build the CLI first: " + cliDll);
        var dir = TestDirs.Fresh();
        var r = await CliRunner.RunAsync("notebooks", "run", Path.Combine(root, "notebooks", "00-quickstart.ipynb"), "--output-dir", dir);
        Assert.True(r.Code == 0, r.Out + r.Err);
        var html = File.ReadAllText(Path.Combine(dir, "00-quickstart.html"));
        Assert.Contains("Plotly.newPlot", html);
        Assert.Contains("snb-table", html);
    }
}
