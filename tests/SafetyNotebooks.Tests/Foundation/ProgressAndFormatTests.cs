using System.Text.Json;
using SafetyNotebooks.Cli;
using SafetyNotebooks.Reporting;

namespace SafetyNotebooks.Tests.Foundation;

public class ProgressAndFormatTests
{
    [Fact]
    public void A_log_line_has_the_percentage_rate_and_eta()
    {
        var line = ProgressText.Line("scoring", 0.25, TimeSpan.FromSeconds(10), total: 1000, unit: "documents");
        Assert.Equal("scoring: 25% (250/1000 documents), 25 documents/s, elapsed 10s, ETA 30s", line);
        Assert.Equal("[5/8] pretrain: 50%, 2.5 %/s, elapsed 20s, ETA 20s", ProgressText.Line("[5/8] pretrain", 0.5, TimeSpan.FromSeconds(20), null, ""));
        Assert.Equal("x: 0%, elapsed 0s", ProgressText.Line("x", 0, TimeSpan.Zero, null, ""));
        Assert.Equal("1h05m", ProgressText.Duration(3900));
    }

    [Fact]
    public void Lines_come_at_the_start_every_tenth_or_15_s_and_at_the_end_never_more_than_once_a_second()
    {
        var now = TimeSpan.Zero;
        var log = new StringWriter();
        var lines = new ProgressLines("t", null, "", log, json: false, () => now);
        lines.Report(0);
        for (var i = 1; i <= 100; i++)
        {
            now += TimeSpan.FromSeconds(0.5);
            lines.Report(i / 200.0); // 0.5 s and half a percent per report: 50 s to reach 50%
        }
        now += TimeSpan.FromSeconds(60);
        lines.Report(0.51); // stalled for a minute: a sign of life after 15 s
        lines.Finish();
        lines.Report(0.9); // after Finish: nothing
        var written = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("t: 0%", written[0]);
        Assert.Equal(["t: 0%", "t: 10%", "t: 20%", "t: 30%", "t: 40%", "t: 50%", "t: 51%", "t: 100%"], written.Select(l => l.Split(',')[0]).ToArray());
    }

    [Fact]
    public void Json_events_are_one_object_per_line()
    {
        var log = new StringWriter();
        var now = TimeSpan.FromSeconds(4);
        var lines = new ProgressLines("tag", 200, "files", log, json: true, () => now);
        lines.Report(0.5);
        using var doc = JsonDocument.Parse(log.ToString().Trim());
        Assert.Equal("progress", doc.RootElement.GetProperty("event").GetString());
        Assert.Equal("tag", doc.RootElement.GetProperty("stage").GetString());
        Assert.Equal(0.5, doc.RootElement.GetProperty("fraction").GetDouble());
        Assert.Equal(4.0, doc.RootElement.GetProperty("eta_s").GetDouble());
        Assert.Equal(100, doc.RootElement.GetProperty("done").GetInt64());
    }

    [Theory]
    [InlineData(0.2058041621556598, "0.2058")]
    [InlineData(2.34567, "2.346")]
    [InlineData(1234.567, "1235")]
    [InlineData(0.000123456, "0.0001235")]
    [InlineData(0.0, "0")]
    [InlineData(-0.5, "-0.5")]
    public void Numbers_are_rounded_to_what_they_mean(double value, string expected) => Assert.Equal(expected, Tables.Round(value));

    public sealed record Row(string Name, double Score, IReadOnlyList<int> Ids);

    [Fact]
    public void A_list_of_records_is_a_flat_table_with_rounded_numbers()
    {
        var rows = new List<Row> { new("a", 0.123456789, [1, 2]), new("b<", 12.0, []) };
        Assert.Equal(typeof(Row), Tables.RecordElementType(rows));
        var html = Tables.RecordsToHtml(rows, typeof(Row));
        Assert.Contains("<th>Name</th><th>Score</th><th>Ids</th>", html);
        Assert.Contains("<td>a</td><td>0.1235</td><td>[2 items]</td>", html);
        Assert.Contains("b&lt;", html);
        Assert.Null(Tables.RecordElementType(new[] { 1.0, 2.0 }));
        Assert.Null(Tables.RecordElementType("text"));
    }

    [Fact]
    public void Plotly_js_comes_from_Plotly_NETs_embedded_resource()
    {
        var js = Charts.PlotlyJs();
        Assert.True(js.Length > 1_000_000, $"{js.Length} chars");
        Assert.Contains(Charts.PlotlyJsVersion, js);
        // the compressed loader is a third of the size and still one script
        Assert.True(Charts.PlotlyJsLoader().Length < js.Length / 2);
    }
}
