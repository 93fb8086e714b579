using SafetyNotebooks.Cli;
using SafetyNotebooks.Cli.Commands;

namespace SafetyNotebooks.Tests.Foundation;

public class TerminalColourTests
{
    static readonly (string, double, string, bool)[] Stages = [("pretrain standard", 1.5, "artifacts/x", true), ("notebooks (0/1 ok)", 2, "artifacts/notebooks", false)];

    [Fact]
    public void Stage_table_written_to_a_file_or_pipe_carries_no_escape_codes()
    {
        var output = new StringWriter();
        ReproduceCommand.WriteStageTable(Stages, output);
        var text = output.ToString();
        Assert.Contains("ok", text);
        Assert.Contains("failed", text);
        Assert.Contains("pretrain standard", text);
        Assert.DoesNotContain('\u001b', text);
    }

    [Fact]
    public void Stage_table_through_the_cli_writer_carries_no_escape_codes()
    {
        // the CLI wraps stdout in its redacting writer; a redirected stdout must still be plain
        var inner = new StringWriter();
        using (var output = new RedactingTextWriter(inner, Redactor.FromEnvironment([])))
        {
            ReproduceCommand.WriteStageTable(Stages, output);
            output.Flush();
        }
        Assert.Contains("ok", inner.ToString());
        Assert.DoesNotContain('\u001b', inner.ToString());
    }

    [Theory]
    [InlineData(true, null, true)]
    [InlineData(true, "", true)]
    [InlineData(true, "1", false)]
    [InlineData(false, null, false)]
    [InlineData(false, "1", false)]
    public void Colour_only_on_a_terminal_without_NO_COLOR(bool terminal, string? noColor, bool expected) =>
        Assert.Equal(expected, TerminalColour.Enabled(terminal, noColor));

    [Fact]
    public void A_string_writer_is_not_a_terminal() => Assert.False(TerminalColour.IsTerminal(new StringWriter()));
}
