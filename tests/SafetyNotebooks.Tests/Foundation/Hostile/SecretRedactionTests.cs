using System.Text;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Tests.Evaluation;

namespace SafetyNotebooks.Tests.Foundation.Hostile;

/// <summary>An endpoint that echoes the Authorization header never gets the key printed, logged or written (issue 19).</summary>
public sealed class SecretRedactionTests
{
    /// <summary>A fresh key in a fresh variable (unique per test, so parallel tests do not share process environment).</summary>
    static (string Variable, string Key) NewKey()
    {
        var variable = $"SAFETYNB_TEST_KEY_{Guid.NewGuid():N}";
        var key = $"sk-{Guid.NewGuid():N}+/=x";
        Environment.SetEnvironmentVariable(variable, key);
        return (variable, key);
    }

    /// <summary>Every byte of text under <paramref name="dir"/>, with Parquet string columns decoded (pages may be compressed).</summary>
    internal static async Task<string> AllText(string dir)
    {
        var text = new StringBuilder();
        if (!Directory.Exists(dir)) return "";
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            text.AppendLine(File.ReadAllText(file));
            if (!file.EndsWith(".parquet", StringComparison.Ordinal)) continue;
            await foreach (var batch in ParquetFiles.ReadBatchesAsync(file))
                foreach (var column in batch.Columns)
                    foreach (var v in column.Values) text.Append(v).Append('\n');
        }
        return text.ToString();
    }

    static async Task AssertNowhere(string key, CliRunner.Outcome r, string outputDir, EchoKeyServer server)
    {
        Assert.True(server.Requests > 0, "the endpoint was never called");
        Assert.DoesNotContain(key, r.Out);
        Assert.DoesNotContain(key, r.Err);
        Assert.DoesNotContain(key, await AllText(outputDir));
        Assert.DoesNotContain(key[3..20], r.Out + r.Err + await AllText(outputDir));
    }

    static async Task<string> ToyInput(string dir)
    {
        var input = Path.Combine(dir, "in", "toy.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(input)!);
        await Documents.WriteAsync(input, ToyWorld.Corpus(40, new ToyOptions(4)));
        return input;
    }

    [Theory]
    [InlineData(401)]
    [InlineData(200)]
    public async Task Synth_rephrase_never_shows_the_key(int status)
    {
        var (variable, key) = NewKey();
        var dir = TestDirs.Fresh();
        await using var server = new EchoKeyServer(status, auth => $"Here is a careful rewrite of the document, in plain words. {auth} and the rest of it stays the same as before.");
        var output = Path.Combine(dir, "out");
        var r = await CliRunner.RunAsync("synth", "rephrase", "--input", await ToyInput(dir), "--output", output, "--endpoint", server.Url,
            "--model", "m", "--api-key-env", variable, "--attempts", "1", "--limit", "3");
        await AssertNowhere(key, r, output, server);
        if (status == 401) Assert.Contains(Redactor.Mask, r.Out + r.Err);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(200)]
    public async Task Score_with_an_llm_judge_never_shows_the_key(int status)
    {
        var (variable, key) = NewKey();
        var dir = TestDirs.Fresh();
        await using var server = new EchoKeyServer(status, auth => $"2, \"reason\": \"{auth}\"}}");
        var output = Path.Combine(dir, "out");
        var r = await CliRunner.RunAsync("score", "--input", await ToyInput(dir), "--output", output, "--llm-endpoint", server.Url,
            "--llm-model", "m", "--api-key-env", variable);
        await AssertNowhere(key, r, output, server);
        if (status == 401) Assert.NotEqual(0, r.Code);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(200)]
    public async Task Eval_attack_with_an_llm_judge_never_shows_the_key(int status)
    {
        var (variable, key) = NewKey();
        var dir = TestDirs.Fresh();
        var prompts = await LoaderTests.WriteJbParquet(dir, "jb.parquet");
        var loaded = await SafetyNotebooks.Evaluation.AttackPrompts.LoadJbCompletionsAsync(prompts);
        var gens = Path.Combine(dir, "gens.jsonl");
        File.WriteAllLines(gens, loaded.Select(p => $$"""{"id": "{{p.Id}}", "generation": "a generation"}"""));
        await using var server = new EchoKeyServer(status, auth => $"Yes. {auth}");
        var output = Path.Combine(dir, "out");
        var r = await CliRunner.RunAsync("eval", "attack", "--prompts", prompts, "--generations", gens, "--judge", "llm", "--judge-endpoint", server.Url,
            "--judge-model", "m", "--api-key-env", variable, "--output", output, "--resamples", "50");
        await AssertNowhere(key, r, output, server);
    }

    [Fact]
    public void Redactor_masks_every_echo_form_and_keeps_other_text()
    {
        var r = Redactor.Of("k\"ey/+1", null, "");
        Assert.Equal($"a {Redactor.Mask} b", r.Redact("a k\"ey/+1 b"));
        Assert.Equal($"{{\"m\":\"{Redactor.Mask}\"}}", r.Redact("{\"m\":\"k\\\"ey/+1\"}"));
        Assert.Equal($"?t={Redactor.Mask}", r.Redact("?t=" + Uri.EscapeDataString("k\"ey/+1")));
        Assert.Equal("nothing secret", r.Redact("nothing secret"));
        Assert.True(Redactor.Of((string?)null).IsEmpty);
    }

    [Fact]
    public void Redacted_exceptions_keep_no_reference_to_the_original()
    {
        var r = Redactor.Of("secret-token-1");
        var e = new InvalidOperationException("outer", new Exception("inner says secret-token-1"));
        var clean = r.Redact(e);
        Assert.IsType<RedactedException>(clean);
        Assert.Null(clean.InnerException);
        Assert.DoesNotContain("secret-token-1", clean.ToString());
        var harmless = new InvalidOperationException("fine");
        Assert.Same(harmless, r.Redact(harmless));
    }

    [Fact]
    public void Writer_masks_a_secret_split_across_writes()
    {
        var inner = new StringWriter();
        using (var w = new RedactingTextWriter(inner, Redactor.Of("abcdef123")))
        {
            w.Write("x abc");
            w.Write('d');
            w.Write("ef123 y\n");
            w.Write("tail abcdef123");
        }
        Assert.Equal($"x {Redactor.Mask} y\ntail {Redactor.Mask}", inner.ToString());
    }

    [Fact]
    public void Key_variables_are_found_in_both_option_spellings()
    {
        Assert.Equal(["A", "B"], SafetyNotebooks.Cli.SafetyNb.KeyVariablesNamedIn(["x", "--api-key-env", "A", "--api-key-env=B", "--api-key-env"]));
    }
}
