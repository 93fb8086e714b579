using SafetyNotebooks.Cli;

namespace SafetyNotebooks.Tests.Foundation;

/// <summary>Runs the CLI in-process and captures its output and exit code.</summary>
public static class CliRunner
{
    public sealed record Outcome(int Code, string Out, string Err);

    public static async Task<Outcome> RunAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await SafetyNb.RunAsync(args, o, e);
        return new Outcome(code, o.ToString(), e.ToString());
    }
}

public class CliTests
{
    [Fact]
    public async Task Unknown_option_is_exit_code_2()
    {
        var r = await CliRunner.RunAsync("device", "--no-such-option");
        Assert.Equal(2, r.Code);
        Assert.Contains("--no-such-option", r.Err);
    }

    [Fact]
    public async Task Bad_device_is_exit_code_2_naming_the_value()
    {
        var r = await CliRunner.RunAsync("device", "--device", "tpu");
        Assert.Equal(2, r.Code);
        Assert.Contains("tpu", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public async Task Device_json_reports_cpu()
    {
        var r = await CliRunner.RunAsync("device", "--device", "cpu", "--json");
        Assert.Equal(0, r.Code);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        Assert.Equal("cpu", doc.RootElement.GetProperty("device").GetString());
    }

    [Fact]
    public async Task Experiment_quickstart_runs()
    {
        var r = await CliRunner.RunAsync("experiment", "quickstart", "--device", "cpu", "--json");
        Assert.Equal(0, r.Code);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        Assert.True(doc.RootElement.GetProperty("last_loss").GetDouble() < doc.RootElement.GetProperty("first_loss").GetDouble());
    }
}
