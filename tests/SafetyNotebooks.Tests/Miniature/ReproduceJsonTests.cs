using System.Text.Json;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Miniature;

/// <summary><c>reproduce --json</c> is one JSON document a script can use: the stages and the ASR table with CIs.</summary>
[Collection("miniature")] // see MiniatureTests
public class ReproduceJsonTests
{
    [Fact]
    public async Task Reproduce_json_holds_the_stages_and_the_asr_table_with_cis()
    {
        var dir = TestDirs.Fresh();
        var r = await CliRunner.RunAsync("reproduce", "--quick", "--skip-notebooks", "--json", "--device", "cpu", "--output", dir,
            "--set", "documents=240", "--set", "prompts=4", "--set", "train_steps=6", "--set", "batch_size=4", "--set", "sequence_length=64",
            "--set", "max_new_tokens=12", "--set", "classifier_documents=120", "--set", "classifier_epochs=1");
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out); // one document, nothing else on stdout
        AssertProgressEventsOnStderr(r.Err);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Contains(root.GetProperty("stages").EnumerateArray(), s => s.GetProperty("stage").GetString() == "report.html");
        var asr = root.GetProperty("miniature").GetProperty("asr").EnumerateArray().ToList();
        Assert.Equal(3, asr.Count);
        foreach (var a in asr)
        {
            Assert.False(string.IsNullOrEmpty(a.GetProperty("system").GetString()));
            var judges = a.GetProperty("by_judge").EnumerateObject().ToList();
            Assert.Equal(["classifier", "exact", "step"], judges.Select(j => j.Name).Order());
            foreach (var j in judges)
            {
                var ci = j.Value.GetProperty("ci95").EnumerateArray().Select(x => x.GetDouble()).ToArray();
                var value = j.Value.GetProperty("asr").GetDouble();
                Assert.True(ci[0] <= value && value <= ci[1], $"{j.Name}: {value} outside [{ci[0]}, {ci[1]}]");
                Assert.Equal(4, j.Value.GetProperty("n").GetInt32());
            }
        }

        // the judged file holds the three systems; eval asr picks one of them
        var judged = Path.Combine(dir, "miniature", "judged.jsonl");
        var one = await CliRunner.RunAsync("eval", "asr", "--input", judged, "--system", asr[2].GetProperty("system").GetString()!, "--json");
        Assert.True(one.Code == 0, one.Err);
        using var e = JsonDocument.Parse(one.Out);
        Assert.Equal(4, e.RootElement.GetProperty("n").GetInt32());
    }

    /// <summary>Every line on stderr is a JSON progress event; each stage's events count its own items (the quick profile's 16 benign prompts too), rising to the total.</summary>
    static void AssertProgressEventsOnStderr(string stderr)
    {
        var events = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(events, e => Assert.Equal("progress", e.GetProperty("event").GetString()));
        var stages = events.GroupBy(e => e.GetProperty("stage").GetString()!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(SafetyNotebooks.Experiments.MiniatureStageNames.Count, stages.Count);
        foreach (var (stage, unit, total) in new[] { ("[2/10] safety scores", "documents", 120 + 240), ("[5/10] pretrain standard", "steps", 6), ("[7/10] attacks", "prompts", 3 * (4 + 16)) })
        {
            var series = stages[stage];
            Assert.All(series, e => Assert.Equal(unit, e.GetProperty("unit").GetString()));
            Assert.All(series, e => Assert.Equal(total, e.GetProperty("total").GetInt64()));
            var done = series.Select(e => e.GetProperty("done").GetInt64()).ToList();
            Assert.Equal(done.Order(), done);
            Assert.Equal(total, done[^1]);
        }
    }

    [Fact]
    public async Task Reproduce_paper_json_is_one_document_too()
    {
        var r = await CliRunner.RunAsync("reproduce", "--profile", "paper", "--skip-notebooks", "--json", "--set", "run=false", "--output", TestDirs.Fresh());
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.True(doc.RootElement.GetProperty("paper").GetProperty("artifacts").GetArrayLength() > 0);
    }
}
