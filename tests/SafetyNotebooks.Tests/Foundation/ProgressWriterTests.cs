using System.Text.Json;
using SafetyNotebooks.Cli;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Tests.Foundation;

/// <summary>Progress goes to the writer a command is given (its error writer), never to stdout or the process's console.</summary>
public class ProgressWriterTests
{
    [Fact]
    public async Task Progress_lines_go_to_the_writer_it_is_given()
    {
        var log = new StringWriter();
        var value = await Progress.RunAsync("counting", json: false, log, p => { p.Report(0.5); return Task.FromResult(7); }, total: 10, unit: "files");
        Assert.Equal(7, value);
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("counting: 0% (0/10 files)", lines[0]);
        Assert.StartsWith("counting: 100% (10/10 files)", lines[^1]);
        Assert.False(Progress.Interactive(json: false, log)); // a test's writer is no terminal: lines, not bars
    }

    [Fact]
    public async Task A_long_command_with_json_puts_progress_events_on_its_error_writer_and_only_the_result_on_stdout()
    {
        var dir = TestDirs.Fresh();
        var docs = ToyWorld.Corpus(300, new ToyOptions(3)).ToList();
        for (var i = 0; i < 3; i++)
            await Documents.WriteAsync(Path.Combine(dir, "in", "train", $"{i:D5}.parquet"), docs.Skip(100 * i).Take(100));
        var r = await CliRunner.RunAsync("tag", "--input", Path.Combine(dir, "in"), "--output", Path.Combine(dir, "out"), "--json");
        Assert.True(r.Code == 0, r.Err);

        using (var result = JsonDocument.Parse(r.Out)) // one document and nothing else
            Assert.Equal(JsonValueKind.Object, result.RootElement.ValueKind);
        Assert.DoesNotContain("\"progress\"", r.Out);

        var events = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(events.Count >= 2, r.Err); // at least the start and the end
        Assert.All(events, e => Assert.Equal("progress", e.GetProperty("event").GetString()));
        Assert.All(events, e => Assert.StartsWith("tagging 3 file(s)", e.GetProperty("stage").GetString()));
        var fractions = events.Select(e => e.GetProperty("fraction").GetDouble()).ToList();
        Assert.Equal(fractions.Order(), fractions);
        Assert.Equal(0, fractions[0]);
        Assert.Equal(1, fractions[^1]);
    }
}
