using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Tests.Foundation;
using SafetyNotebooks.Tests.Foundation.Hostile;

namespace SafetyNotebooks.Tests.Scoring;

/// <summary>A scoring job whose judge fails leaves no "scored" output with null scores: it fails, says how many and why, and resumes (issue 19).</summary>
public sealed class LlmFailureThresholdTests
{
    static async Task<string> Input(string dir, int n)
    {
        var input = Path.Combine(dir, "in", "docs.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(input)!);
        await Documents.WriteAsync(input, Enumerable.Range(0, n).Select(i => new Document($"d{i}", $"text number {i}")).ToList());
        return input;
    }

    static Task<CliRunner.Outcome> Score(string input, string output, string url, params string[] extra) =>
        CliRunner.RunAsync(["score", "--input", input, "--output", output, "--llm-endpoint", url, "--llm-model", "m", "--llm-attempts", "1", .. extra]);

    [Fact]
    public async Task An_endpoint_failing_every_request_fails_the_job_with_how_many_and_why_and_writes_no_output()
    {
        var dir = TestDirs.Fresh();
        var input = await Input(dir, 6);
        await using var server = new EchoKeyServer(500);
        var output = Path.Combine(dir, "out");
        var r = await Score(input, output, server.Url);
        Assert.Equal(1, r.Code);
        Assert.Contains("6 row(s) left unscored", r.Err);
        Assert.Contains("500", r.Err);
        Assert.Contains("rerun", r.Err);
        Assert.DoesNotContain("rows scored", r.Out);
        Assert.False(File.Exists(Path.Combine(output, "docs.parquet")));
    }

    [Fact]
    public async Task A_rerun_asks_again_only_for_the_unscored_rows_and_finishes()
    {
        var dir = TestDirs.Fresh();
        var input = await Input(dir, 6);
        await using var server = new EchoKeyServer(500, _ => "3, \"reason\": \"fine\"}");
        var output = Path.Combine(dir, "out");
        Assert.Equal(1, (await Score(input, output, server.Url)).Code);
        var first = server.Requests;
        server.Status = 200;
        var r = await Score(input, output, server.Url, "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(6, server.Requests - first);
        var scored = await Documents.ReadListAsync(Path.Combine(output, "docs.parquet"));
        Assert.All(scored, d => Assert.NotNull(d.SafetyScore));
        Assert.Equal(0, JsonDocument.Parse(r.Out).RootElement.GetProperty("llm_failures").GetInt32());
    }

    [Fact]
    public async Task A_threshold_lets_a_job_finish_with_that_many_unscored_rows()
    {
        var dir = TestDirs.Fresh();
        var input = await Input(dir, 3);
        await using var server = new EchoKeyServer(500);
        var output = Path.Combine(dir, "out");
        var r = await Score(input, output, server.Url, "--llm-max-unscored", "3");
        Assert.True(r.Code == 0, r.Err);
        var scored = await Documents.ReadListAsync(Path.Combine(output, "docs.parquet"));
        Assert.All(scored, d => Assert.Null(d.SafetyScore));
        Assert.All(scored, d => Assert.StartsWith("unscored: ", d.SafetyReason));
    }
}
