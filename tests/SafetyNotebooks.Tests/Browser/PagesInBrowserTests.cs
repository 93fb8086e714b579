using System.Globalization;
using SafetyNotebooks.Miniature;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Browser;

/// <summary>
/// What the browser tests open, made once and shared: a tiny miniature run (its report.html, and the files notebook
/// 08 reads back, as it does after <c>safetynb reproduce</c>) and every notebook of notebooks/ executed to .ipynb and
/// .html by <c>safetynb notebooks run</c>, as CI does.
/// </summary>
public sealed class ExecutedPages : IAsyncLifetime
{
    public string ReportPath { get; private set; } = "";
    public string NotebooksDir { get; private set; } = "";
    public CliRunner.Outcome Run { get; private set; } = new(-1, "", "");

    /// <summary>Every notebook of the repository, by name without .ipynb.</summary>
    public static IReadOnlyList<string> Names() =>
        Directory.GetFiles(Path.Combine(TestDirs.RepoRoot(), "notebooks"), "*.ipynb").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToList();

    public async Task InitializeAsync()
    {
        var dir = TestDirs.Fresh("executed-pages");
        var o = MiniatureOptions.Quick with
        {
            Documents = 240, Prompts = 4, TrainSteps = 6, BatchSize = 4, SequenceLength = 64, MaxNewTokens = 12,
            ClassifierDocuments = 120, ClassifierEpochs = 1, Output = Path.Combine(dir, "miniature-run"), Device = "cpu",
        };
        ReportPath = (await Experiments.PaperInMiniature(o)).ReportPath;
        NotebooksDir = Path.Combine(dir, "notebooks");
        // notebook 08 shows this run's headline (and says it is not the default profile) instead of training the default miniature
        var previous = Environment.GetEnvironmentVariable(MiniatureHeadline.DirectoryVariable);
        Environment.SetEnvironmentVariable(MiniatureHeadline.DirectoryVariable, Path.GetFullPath(o.WorkDir));
        try { Run = await CliRunner.RunAsync(["notebooks", "run", Path.Combine(TestDirs.RepoRoot(), "notebooks"), "--output-dir", NotebooksDir, "--cell-timeout", "600"]); }
        finally { Environment.SetEnvironmentVariable(MiniatureHeadline.DirectoryVariable, previous); }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// What a newcomer sees, checked in a real browser (Debian's headless Chromium over the DevTools protocol): the
/// miniature's report.html, launch status's status.html and every executed notebook open without a console error,
/// every expected chart draws its SVG, and the key tables hold numbers. Screenshots go to artifacts/screenshots/.
/// </summary>
[Collection("notebooks")] // runs notebooks: one at a time, each starts a C# kernel
public class PagesInBrowserTests(ExecutedPages pages) : IClassFixture<ExecutedPages>
{
    static readonly TimeSpan ChartDeadline = TimeSpan.FromSeconds(30);

    static string Screenshot(string name) => Path.Combine(TestDirs.RepoRoot(), "artifacts", "screenshots", name + ".png");

    static async Task<HeadlessChromium> Browser()
    {
        Assert.True(HeadlessChromium.Available, $"{HeadlessChromium.Executable} is missing: run `bash .ci/setup-machine.sh` (installs .ci/apt-packages)");
        return await HeadlessChromium.StartAsync();
    }

    static void AssertClean(PageVisit v, int charts)
    {
        Assert.True(v.Errors.Count == 0, $"{v.Url}: console errors:\n" + string.Join("\n", v.Errors));
        Assert.True(v.ChartContainers == charts, $"{v.Url}: {v.ChartContainers} chart containers, expected {charts}");
        Assert.True(v.ChartsDrawn == charts, $"{v.Url}: {v.ChartsDrawn} of {v.ChartContainers} charts drew an SVG (screenshot {v.Screenshot})");
        Assert.True(new FileInfo(v.Screenshot).Length > 10_000, v.Screenshot);
    }

    /// <summary>A number, a percentage, or either followed by its interval ("12.5 % [4.2, 22.9]").</summary>
    static bool IsNumber(string s) =>
        double.TryParse(System.Text.RegularExpressions.Regex.Replace(s.Trim(), @"\s*\[[-0-9.]+, [-0-9.]+\]$", "").TrimEnd('%').Trim(),
            NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>The text of column <paramref name="column"/> (0-based) of every body row of the page's table number <paramref name="table"/>.</summary>
    static async Task<List<string>> Column(HeadlessChromium b, int table, int column) =>
        (await b.EvaluateAsync($"[...document.querySelectorAll('table')[{table}].querySelectorAll('tr')].filter(r => r.querySelector('td')).map(r => r.querySelectorAll('td')[{column}].textContent)"))!
            .AsArray().Select(n => n!.GetValue<string>()).ToList();

    [Fact]
    public async Task The_miniature_report_draws_its_three_charts_and_its_tables_hold_numbers()
    {
        await using var b = await Browser();
        var v = await b.VisitAsync(pages.ReportPath, Screenshot("report"), ChartDeadline);
        AssertClean(v, charts: 3); // Fig. 2 (ASR), tag rates, loss curves
        var asr = await Column(b, 0, 1);
        Assert.Equal(3, asr.Count);
        Assert.All(asr, s => Assert.True(IsNumber(s), $"ASR cell '{s}'"));
        var f1 = await Column(b, 3, 1); // the Table 3 rows: F1 (macro), "–" where the paper gives none
        Assert.Contains(f1, IsNumber);
    }

    [Fact]
    public async Task Launch_status_page_draws_loss_and_throughput()
    {
        var dir = TestDirs.Fresh();
        var logs = Directory.CreateDirectory(Path.Combine(dir, "logs", "csv", "version_0")).FullName;
        File.WriteAllText(Path.Combine(logs, "metrics.csv"),
            "device/items_per_sec,iter,learning_rate,loss,step,tokens,total_tokens,val_loss\n" +
            "16384.0,4,1e-06,10.9,0,16384,524288,\n" +
            "33000.0,8,2e-06,9.5,1,32768,1048576,\n" +
            "34000.0,12,3e-06,8.25,2,49152,1572864,9.4\n");
        var cli = await CliRunner.RunAsync("launch", "status", "--out", dir);
        Assert.True(cli.Code == 0, cli.Err);
        await using var b = await Browser();
        AssertClean(await b.VisitAsync(Path.Combine(dir, "status.html"), Screenshot("status"), ChartDeadline), charts: 2);
    }

    /// <summary>
    /// Per notebook: the plotly charts it draws, and how many of its tables hold at least one number (the key tables:
    /// metrics, ASR, rates; tables of texts such as prompts and completions are not counted).
    /// </summary>
    static readonly Dictionary<string, (int Charts, int TablesWithNumbers)> Expected = new()
    {
        ["00-quickstart"] = (1, 1),
        ["01-data-report-card"] = (2, 1),
        ["02-safety-classifier"] = (2, 1),
        ["03-synthetic-data"] = (1, 2),
        ["04-harmfulness-tags"] = (2, 2),
        ["05-pretraining"] = (2, 2),
        ["06-safe-beam-search"] = (2, 2),
        ["07-evaluation"] = (1, 2),
        ["08-paper-in-miniature"] = (1, 3),
    };

    public static TheoryData<string> Notebooks() => new(ExecutedPages.Names());

    [Fact]
    public void Every_notebook_in_the_repository_is_checked() => Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), ExecutedPages.Names());

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task An_executed_notebook_renders_its_charts_and_tables_with_one_plotly_js_under_2_MB(string name)
    {
        Assert.True(pages.Run.Code == 0, pages.Run.Out + pages.Run.Err);
        var html = Path.Combine(pages.NotebooksDir, name + ".html");
        var ipynb = Path.Combine(pages.NotebooksDir, name + ".ipynb");
        foreach (var f in new[] { html, ipynb })
            Assert.True(new FileInfo(f).Length < 2_000_000, $"{f}: {new FileInfo(f).Length:N0} bytes");
        var text = File.ReadAllText(ipynb);
        var (charts, tables) = Expected[name];
        Assert.Equal(charts, CountOf(text, "class=\\\"snb-chart\\\""));
        Assert.Equal(charts > 0 ? 1 : 0, CountOf(text, "window.snbPlotly = "));
        await using var b = await Browser();
        var v = await b.VisitAsync(html, Screenshot("notebook-" + name), ChartDeadline);
        AssertClean(v, charts);
        // every code cell ran and shows its execution count; last expressions are execute_results
        Assert.DoesNotContain("In [ ]", (await b.EvaluateAsync("document.body.innerText"))!.GetValue<string>());
        Assert.Contains("\"output_type\": \"execute_result\"", text.Replace("\"output_type\":\"", "\"output_type\": \""));
        var numeric = await TablesWithNumbers(b);
        Assert.True(numeric >= tables, $"{name}: {numeric} tables hold a number, expected at least {tables} (screenshot {v.Screenshot})");
    }

    /// <summary>How many of the page's tables have a body cell that is a number (or a percentage, or one with its interval).</summary>
    static async Task<int> TablesWithNumbers(HeadlessChromium b)
    {
        var tables = (await b.EvaluateAsync("[...document.querySelectorAll('table')].map(t => [...t.querySelectorAll('td')].map(c => c.textContent))"))!.AsArray();
        return tables.Count(t => t!.AsArray().Any(c => IsNumber(c!.GetValue<string>())));
    }

    static int CountOf(string text, string what)
    {
        int n = 0, i = 0;
        while ((i = text.IndexOf(what, i, StringComparison.Ordinal)) >= 0) { n++; i += what.Length; }
        return n;
    }
}
