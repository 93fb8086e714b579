using System.CommandLine;
using System.Text.Json;
using SafetyNotebooks.Cli;
using SafetyNotebooks.Cli.Commands;
using SafetyNotebooks.Decoding;

namespace SafetyNotebooks.Tests.Decoding;

/// <summary><c>safetynb generate</c> on the llama-a fixture folder and its usage errors.</summary>
public class GenerateCommandTests
{
    static readonly LocalModelLoader Reference = (dir, _) => LocalModel.FromDirectory(dir, LlamaFixture.Model, null);

    static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var root = new RootCommand { GenerateCommands.Build(Reference) };
        var (o, e) = (new StringWriter(), new StringWriter());
        var parse = root.Parse(["generate", "--model", LlamaFixture.Dir, .. args]);
        if (parse.Errors.Count > 0) return (ExitCodes.BadInput, "", string.Join("\n", parse.Errors.Select(x => x.Message)));
        var code = await parse.InvokeAsync(new InvocationConfiguration { Output = o, Error = e, EnableDefaultExceptionHandler = false });
        return (code, o.ToString(), e.ToString());
    }

    static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [Fact]
    public async Task Beam_json_has_the_documented_shape_and_transformers_results()
    {
        var c = LlamaFixture.Cases()[0];
        var (code, stdout, err) = await Run("--ids", string.Join(",", c.Prompt), "--strategy", "beam", "--beams", "4", "--max-new-tokens", "12",
            "--length-penalty", "0", "--eos-id", "none", "--json");
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(["tokens", "logprob", "beams", "short_circuited"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(c.Beam4[0], Ints(root.GetProperty("tokens")));
        Assert.Equal(c.Beam4, root.GetProperty("beams").EnumerateArray().Select(b => Ints(b.GetProperty("tokens"))));
        Assert.Equal(c.Beam4Scores[0], root.GetProperty("logprob").GetDouble(), 1e-4);
        Assert.False(root.GetProperty("short_circuited").GetBoolean());
    }

    [Fact]
    public async Task Safe_beam_json_matches_the_reference()
    {
        var c = LlamaFixture.Cases()[1];
        var (code, stdout, err) = await Run("--ids", string.Join(",", c.Prompt), "--strategy", "safe-beam", "--beams", "4", "--candidates", "8",
            "--tag-id", "511", "--max-new-tokens", "10", "--eos-id", "none", "--json");
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(c.SafeTokens, Ints(json.RootElement.GetProperty("tokens")));
        Assert.Equal(c.SafeLogProb, json.RootElement.GetProperty("logprob").GetDouble(), 1e-4);
    }

    [Theory]
    [InlineData("--ids", "1,2", "--strategy", "beam", "--beams", "0")]                                   // k < 1
    [InlineData("--ids", "1,2", "--strategy", "safe-beam", "--tag-id", "511", "--beams", "4", "--candidates", "3")]   // n < k
    [InlineData("--ids", "1,2", "--strategy", "safe-beam", "--tag-id", "512")]                           // tag outside the vocabulary
    [InlineData("--ids", "1,2", "--strategy", "safe-beam")]                                              // no tag
    [InlineData("--ids", "1,2", "--strategy", "greedy", "--beams", "4")]                                 // beam option on greedy
    [InlineData("--ids", "1,2", "--strategy", "beam", "--short-circuit")]                                // safe-beam option on beam
    [InlineData("--ids", "1,2", "--strategy", "beam", "--seed", "3")]                                    // sampling option on beam
    [InlineData("--ids", "1,2", "--prompt", "hello")]                                                    // both prompts
    [InlineData("--strategy", "greedy")]                                                                 // no prompt
    [InlineData("--prompt", "hello")]                                                                    // text without a tokenizer
    [InlineData("--ids", "1,999")]                                                                       // id outside the vocabulary
    [InlineData("--ids", "1,2", "--strategy", "nucleus")]                                                // unknown strategy
    [InlineData("--ids", "1,2", "--max-new-tokens", "0")]
    [InlineData("--ids", "1,2", "--eos-id", "x")]
    public async Task Invalid_combinations_are_exit_code_2(params string[] args)
    {
        var (code, _, err) = await Run(args);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.DoesNotContain("   at ", err);
    }
}
