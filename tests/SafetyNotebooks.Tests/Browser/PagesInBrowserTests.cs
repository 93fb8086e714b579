using System.Globalization;
using SafetyNotebooks.Miniature;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Browser;

/// <summary>
/// What a newcomer sees, checked in a real browser (Debian's headless Chromium over the DevTools protocol): the
/// miniature's report.html, launch status's status.html and executed notebooks open without a console error, every
/// chart container draws its SVG, and the key tables hold numbers. Screenshots go to artifacts/screenshots/.
/// </summary>
[Collection("notebooks")] // runs notebooks: one at a time, each starts a C# kernel
public class PagesInBrowserTests
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
        var dir = TestDirs.Fresh();
        var o = MiniatureOptions.Quick with
        {
            Documents = 240, Prompts = 4, TrainSteps = 6, BatchSize = 4, SequenceLength = 64, MaxNewTokens = 12,
            ClassifierDocuments = 120, ClassifierEpochs = 1, Output = dir, Device = "cpu",
        };
        var r = await Experiments.PaperInMiniature(o);
        await using var b = await Browser();
        var v = await b.VisitAsync(r.ReportPath, Screenshot("report"), ChartDeadline);
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

    [Fact]
    public async Task Executed_notebooks_render_with_one_plotly_js_each_and_stay_under_2_MB()
    {
        var root = TestDirs.RepoRoot();
        var dir = TestDirs.Fresh();
        // the notebooks that run in seconds; 08 renders the miniature's report (checked above) and reproduce runs them all
        var notebooks = new[] { "00-quickstart", "01-data-report-card", "04-harmfulness-tags", "06-safe-beam-search" };
        var cli = await CliRunner.RunAsync(["notebooks", "run", .. notebooks.Select(n => Path.Combine(root, "notebooks", n + ".ipynb")), "--output-dir", dir]);
        Assert.True(cli.Code == 0, cli.Out + cli.Err);
        await using var b = await Browser();
        foreach (var name in notebooks)
        {
            var html = Path.Combine(dir, name + ".html");
            var ipynb = Path.Combine(dir, name + ".ipynb");
            foreach (var f in new[] { html, ipynb })
                Assert.True(new FileInfo(f).Length < 2_000_000, $"{f}: {new FileInfo(f).Length:N0} bytes");
            var text = File.ReadAllText(ipynb);
            var charts = CountOf(text, "class=\\\"snb-chart\\\"");
            Assert.Equal(charts > 0 ? 1 : 0, CountOf(text, "window.snbPlotly = "));
            var v = await b.VisitAsync(html, Screenshot("notebook-" + name), ChartDeadline);
            AssertClean(v, charts);
            // every code cell ran and shows its execution count; last expressions are execute_results
            Assert.DoesNotContain("In [ ]", (await b.EvaluateAsync("document.body.innerText"))!.GetValue<string>());
            Assert.Contains("\"output_type\": \"execute_result\"", text.Replace("\"output_type\":\"", "\"output_type\": \""));
        }
    }

    static int CountOf(string text, string what)
    {
        int n = 0, i = 0;
        while ((i = text.IndexOf(what, i, StringComparison.Ordinal)) >= 0) { n++; i += what.Length; }
        return n;
    }
}
