using SafetyNotebooks.Reporting;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Training;

public class ToyPretrainingTests
{
    [Fact]
    public void Standard_and_tag_annotated_runs_train_the_same_model_on_data_that_differs_only_by_tags()
    {
        var r = Experiments.ToyPretraining(new Experiments.ToyPretrainingOptions(Documents: 80, Steps: 8, BatchSize: 4, SequenceLength: 32, Hidden: 32, Device: "cpu"));
        Assert.True(r.Tagged.TagsInserted > 0 && r.Tagged.TaggedDocuments > 0);
        Assert.Equal(0, r.Standard.TagsInserted);
        // each tag is inserted as "<tag> ": the tag token plus one space byte
        Assert.Equal(r.Standard.Tokens + 2 * r.Tagged.TagsInserted, r.Tagged.Tokens);
        Assert.Equal(ByteLevelTokenizer.VocabSize, r.Model.VocabSize);
        foreach (var run in new[] { r.Standard, r.Tagged })
        {
            Assert.Equal(Enumerable.Range(1, 8), run.Log.Select(e => e.Step));
            Assert.All(run.Log, e => Assert.True(double.IsFinite(e.Loss)));
            Assert.True(run.Log[^1].Loss < run.Log[0].Loss, $"{run.Name}: {run.Log[0].Loss} → {run.Log[^1].Loss}");
        }
        Assert.Equal(2, r.Summary.Rows.Count);
        var html = Charts.ToStandaloneHtml(r.LossChart);
        Assert.Contains("standard", html);
        Assert.Contains("tag-annotated", html);
    }

    [Fact]
    public async Task The_experiment_command_prints_both_runs_and_refuses_zero_steps()
    {
        var r = await Foundation.CliRunner.RunAsync("experiment", "toy-pretraining", "--steps", "2", "--documents", "20", "--device", "cpu", "--json");
        Assert.True(r.Code == 0, r.Err);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        var runs = doc.RootElement.GetProperty("runs");
        Assert.Equal(new[] { "standard", "tag-annotated" }, runs.EnumerateArray().Select(x => x.GetProperty("name").GetString()!));
        Assert.All(runs.EnumerateArray(), x => Assert.Equal(2, x.GetProperty("losses").GetArrayLength()));
        var bad = await Foundation.CliRunner.RunAsync("experiment", "toy-pretraining", "--steps", "0");
        Assert.Equal(2, bad.Code);
        Assert.Contains("--steps", bad.Err);
    }
}
