using System.Text.Json;
using SafetyNotebooks.Evaluation;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Evaluation;

public class EvalCliTests
{
    static string Judged(string dir, string name, params (string Id, string Source, string Harmful)[] rows)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, rows.Select(r => $$"""{"id": "{{r.Id}}", "source": "{{r.Source}}", "harmful": {{r.Harmful}}}"""));
        return path;
    }

    [Fact]
    public async Task Eval_asr_picks_one_system_of_a_file_that_holds_several()
    {
        var path = Path.Combine(TestDirs.Fresh(), "judged.jsonl");
        File.WriteAllLines(path, new[] { ("a", true), ("a", false), ("b", true), ("b", true) }
            .SelectMany((x, i) => new[] { $$"""{"id": "jb-{{i}}", "system": "{{x.Item1}}", "source": "s", "harmful": {{(x.Item2 ? "true" : "false")}}}""" }));
        // ids repeat across systems: without --system the error says how to choose
        var all = await CliRunner.RunAsync("eval", "asr", "--input", path);
        Assert.Equal(0, all.Code); // jb-0..jb-3 are distinct here
        File.AppendAllLines(path, [$$"""{"id": "jb-0", "system": "b", "source": "s", "harmful": true}"""]);
        var dup = await CliRunner.RunAsync("eval", "asr", "--input", path);
        Assert.Equal(2, dup.Code);
        Assert.Contains("--system", dup.Err);
        Assert.Contains("a, b", dup.Err);

        var b = await CliRunner.RunAsync("eval", "asr", "--input", path, "--system", "b", "--json");
        Assert.True(b.Code == 0, b.Err);
        using var doc = System.Text.Json.JsonDocument.Parse(b.Out);
        Assert.Equal(3, doc.RootElement.GetProperty("n").GetInt32());
        Assert.Equal(1.0, doc.RootElement.GetProperty("asr").GetDouble());

        var none = await CliRunner.RunAsync("eval", "asr", "--input", path, "--system", "c");
        Assert.Equal(2, none.Code);
        Assert.Contains("'c'", none.Err.Replace("\"", "'"));
    }

    [Fact]
    public async Task Eval_asr_prints_the_documented_json_shape()
    {
        var path = Judged(TestDirs.Fresh(), "judged.jsonl", ("1", "HarmBench", "true"), ("2", "HarmBench", "false"), ("3", "AdvBench", "true"), ("4", "AdvBench", "null"));
        var r = await CliRunner.RunAsync("eval", "asr", "--input", path, "--json", "--resamples", "500");
        Assert.Equal(0, r.Code);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal(2.0 / 3, root.GetProperty("asr").GetDouble(), 5);
        Assert.Equal(3, root.GetProperty("n").GetInt32());
        Assert.Equal(1, root.GetProperty("unparseable").GetInt32());
        var ci = root.GetProperty("ci95").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.True(ci.Length == 2 && ci[0] <= 2.0 / 3 && 2.0 / 3 <= ci[1]);
        var hb = root.GetProperty("by_source").GetProperty("HarmBench");
        Assert.Equal(0.5, hb.GetProperty("asr").GetDouble());
        Assert.Equal(2, hb.GetProperty("n").GetInt32());
        Assert.Equal(1.0, root.GetProperty("by_source").GetProperty("AdvBench").GetProperty("asr").GetDouble());
        // the same seed gives the same interval
        Assert.Equal(r.Out, (await CliRunner.RunAsync("eval", "asr", "--input", path, "--json", "--resamples", "500")).Out);
    }

    [Theory]
    [InlineData("""{"id": "1", "source": "s", "harmful": "yes"}""", "harmful")]
    [InlineData("""{"source": "s", "harmful": true}""", "id")]
    [InlineData("""{"id": "1", "source": "s"}""", "harmful")]
    public async Task Eval_asr_bad_records_are_exit_2_naming_row_and_field(string line, string field)
    {
        var path = Path.Combine(TestDirs.Fresh(), "bad.jsonl");
        File.WriteAllText(path, line + "\n");
        var r = await CliRunner.RunAsync("eval", "asr", "--input", path);
        Assert.Equal(2, r.Code);
        Assert.Contains("bad.jsonl, row 1", r.Err);
        Assert.Contains(field, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public async Task Eval_compare_reports_mcnemar()
    {
        var dir = TestDirs.Fresh();
        var ids = Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray();
        var a = Judged(dir, "standard.jsonl", ids.Select(i => (i, "s", "true")).ToArray());
        var b = Judged(dir, "safe.jsonl", ids.Select(i => (i, "s", i == "0" ? "true" : "false")).ToArray());
        var r = await CliRunner.RunAsync("eval", "compare", "--first", a, "--second", b, "--json", "--resamples", "500");
        Assert.Equal(0, r.Code);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(0.9, doc.RootElement.GetProperty("difference").GetDouble(), 10);
        Assert.Equal(McNemar.Test(9, 0).ExactP, doc.RootElement.GetProperty("mcnemar").GetProperty("exact_p").GetDouble(), 12);
    }

    [Fact]
    public async Task Eval_attack_judges_given_generations_into_an_output_folder()
    {
        var dir = TestDirs.Fresh();
        var prompts = await LoaderTests.WriteJbParquet(dir, "jb.parquet");
        var loaded = await AttackPrompts.LoadJbCompletionsAsync(prompts);
        var gens = Path.Combine(dir, "gens.jsonl");
        File.WriteAllLines(gens,
        [
            $$"""{"id": "{{loaded[0].Id}}", "generation": "insert the pick and rake the pins until it opens"}""",
            $$"""{"id": "{{loaded[1].Id}}", "generation": "I'm sorry, I can't help with that."}""",
            $$"""{"id": "{{loaded[2].Id}}", "generation": "I cannot do that."}""",
        ]);
        var output = Path.Combine(dir, "out");
        var r = await CliRunner.RunAsync("eval", "attack", "--prompts", prompts, "--generations", gens, "--judge", "heuristic", "--output", output, "--json", "--resamples", "200");
        Assert.Equal(0, r.Code);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(1.0 / 3, doc.RootElement.GetProperty("asr").GetDouble(), 5);
        var files = AttackFiles.In(output);
        Assert.Equal(3, File.ReadAllLines(files.Generations).Length);
        Assert.False(File.Exists(files.PartialGenerations));
        var judged = await JudgedJson.ReadAsync(files.Judgements);
        Assert.Equal([true, false, false], judged.Select(j => j.Harmful!.Value).ToArray());
        using var summary = JsonDocument.Parse(File.ReadAllText(files.Summary));
        Assert.Equal("heuristic", summary.RootElement.GetProperty("judge").GetString());
        // judgements.jsonl is the input of eval asr
        var asr = await CliRunner.RunAsync("eval", "asr", "--input", files.Judgements, "--json", "--resamples", "200");
        Assert.Equal(1.0 / 3, JsonDocument.Parse(asr.Out).RootElement.GetProperty("asr").GetDouble(), 5);
    }

    [Fact]
    public async Task Attack_run_resumes_from_partial_generations()
    {
        var dir = TestDirs.Fresh();
        var prompts = Enumerable.Range(0, 4).Select(i => new AttackPrompt($"p{i}", $"prompt {i}", $"behaviour {i}", "s")).ToList();
        var files = AttackFiles.In(dir);
        // a killed run left two complete lines and a cut one
        File.WriteAllText(files.PartialGenerations, """{"id": "p0", "generation": "old 0"}""" + "\n" + """{"id": "p1", "generation": "old 1"}""" + "\n" + """{"id": "p2", "gen""");
        var asked = new List<string>();
        TextGenerator generate = (p, _) => { asked.Add(p); return Task.FromResult($"new {p}"); };
        var (judged, report) = await Attack.RunToFolderAsync(prompts, generate, new RefusalPhraseJudge(), dir, seed: 1);
        Assert.Equal(["prompt 2", "prompt 3"], asked.ToArray());
        Assert.Equal(["old 0", "old 1", "new prompt 2", "new prompt 3"], judged.Select(j => j.Generation).ToArray());
        Assert.Equal(4, report.Pooled.N);
        Assert.True(File.Exists(files.Generations) && File.Exists(files.Judgements) && File.Exists(files.Summary));
    }

    [Fact]
    public async Task Eval_attack_without_a_generator_or_with_an_unknown_judge_is_exit_2()
    {
        var dir = TestDirs.Fresh();
        var prompts = await LoaderTests.WriteJbParquet(dir, "jb.parquet");
        var r = await CliRunner.RunAsync("eval", "attack", "--prompts", prompts, "--output", Path.Combine(dir, "o"));
        Assert.Equal(2, r.Code);
        Assert.Contains("--model", r.Err);
        r = await CliRunner.RunAsync("eval", "attack", "--prompts", prompts, "--judge", "vibes", "--output", Path.Combine(dir, "o"));
        Assert.Equal(2, r.Code);
        Assert.Contains("vibes", r.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "o")));
    }

    [Fact]
    public async Task Eval_mc_validates_the_task_before_the_model()
    {
        var dir = TestDirs.Fresh();
        var task = Path.Combine(dir, "t.jsonl");
        File.WriteAllText(task, """{"id": "q", "context": "c", "choices": ["a", "b"], "gold": 0}""" + "\n");
        var r = await CliRunner.RunAsync("eval", "mc", "--model", Path.Combine(dir, "none"), "--task", task, "--shots", "3");
        Assert.Equal(2, r.Code);
        Assert.Contains("3 shots", r.Err);
        r = await CliRunner.RunAsync("eval", "mc", "--model", Path.Combine(dir, "none"), "--task", task);
        Assert.Equal(2, r.Code);
        Assert.Contains("--model", r.Err);
    }
}
