using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Scoring;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Scoring;

public sealed class DocumentScoringTests
{
    static async Task<(string Input, string Model, List<Document> Docs)> Setup()
    {
        var dir = TestDirs.Fresh();
        var docs = ClassifierTests.Corpus(30, 21).Select((x, i) => new Document($"d{i}", x.Text)).ToList();
        var input = Path.Combine(dir, "in", "shard-0.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(input)!);
        await Documents.WriteAsync(input, docs, new DocumentWriteOptions(RowGroupSize: 8));
        var (classifier, _) = SafetyClassifier.Train(ClassifierTests.Corpus(120, 1), ClassifierTests.Corpus(20, 2),
            new TrainingOptions([new("lp", true, 1e-2, 16, 1, 0), new("ft", false, 3e-3, 16, 2, 0.001)], Lambda: 3, MaxLength: 24, Device: "cpu"));
        var model = Path.Combine(dir, "model");
        using (classifier) classifier.Save(model);
        return (Path.Combine(dir, "in"), model, docs);
    }

    [Fact]
    public async Task Score_adds_classifier_columns_keeps_the_rest_and_skips_finished_files()
    {
        var (input, model, docs) = await Setup();
        var output = Path.Combine(TestDirs.Fresh(), "out");
        var r = await CliRunner.RunAsync("score", "--input", input, "--output", output, "--classifier", model, "--json", "--device", "cpu");
        Assert.True(r.Code == 0, r.Err);
        var scored = await Documents.ReadListAsync(Path.Combine(output, "shard-0.parquet"));
        Assert.Equal(docs.Select(d => (d.Id, d.Text)), scored.Select(d => (d.Id, d.Text)));
        Assert.All(scored, d => Assert.Equal(SafetyScoreSources.Classifier, d.SafetyScoreSource));
        using (var c = SafetyClassifier.Load(model, "cpu"))
            Assert.Equal(c.Score(docs.Select(d => d.Text)), scored.Select(d => d.SafetyScore!.Value));
        var again = await CliRunner.RunAsync("score", "--input", input, "--output", output, "--classifier", model, "--json");
        Assert.True(JsonDocument.Parse(again.Out).RootElement.GetProperty("files")[0].GetProperty("skipped").GetBoolean());
    }

    [Fact]
    public async Task Score_with_classifier_and_llm_judge_takes_the_maximum_and_keeps_the_judges_reason()
    {
        var (input, model, docs) = await Setup();
        using var server = new LoopbackOpenAi(_ => "4, \"reason\": \"weapons\"}");
        var output = Path.Combine(TestDirs.Fresh(), "out");
        var r = await CliRunner.RunAsync("score", "--input", input, "--output", output, "--classifier", model,
            "--llm-endpoint", server.Url, "--llm-model", "judge", "--ensemble", "max", "--json");
        Assert.True(r.Code == 0, r.Err);
        var scored = await Documents.ReadListAsync(Path.Combine(output, "shard-0.parquet"));
        using var c = SafetyClassifier.Load(model, "cpu");
        var cls = c.Score(docs.Select(d => d.Text));
        Assert.Equal(cls.Select(s => Math.Max(s, 4)), scored.Select(d => d.SafetyScore!.Value));
        Assert.All(scored, d => Assert.Equal(SafetyScoreSources.Ensemble, d.SafetyScoreSource));
        Assert.Equal(scored.Select((d, i) => cls[i] <= 4 ? "weapons" : null), scored.Select(d => d.SafetyReason));
        Assert.Equal(docs.Count, server.Bodies.Count);
    }

    [Fact]
    public async Task Score_without_any_scorer_or_input_is_bad_input()
    {
        var dir = TestDirs.Fresh();
        Assert.Equal(2, (await CliRunner.RunAsync("score", "--input", Path.Combine(dir, "missing"), "--output", dir, "--classifier", dir)).Code);
        Environment.SetEnvironmentVariable(LlmEndpoint.EndpointVariable, null);
        Assert.Equal(2, (await CliRunner.RunAsync("score", "--input", dir, "--output", dir)).Code);
    }

    [Fact]
    public async Task Report_card_and_toy_classifier_experiments_run_at_tiny_size()
    {
        var card = await CliRunner.RunAsync("experiment", "data-report-card", "--documents", "200", "--json");
        Assert.True(card.Code == 0, card.Err);
        var h = JsonDocument.Parse(card.Out).RootElement.GetProperty("score_histogram").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.Equal(200, h.Sum());
        Assert.Equal(ToyWorld.Corpus(200).Count(d => d.SafetyScore == 5), h[5]);

        var run = await CliRunner.RunAsync("experiment", "safety-classifier", "--train-documents", "120", "--held-out-documents", "40", "--epochs", "1", "--json", "--device", "cpu");
        Assert.True(run.Code == 0, run.Err);
        var m = JsonDocument.Parse(run.Out).RootElement;
        var confusion = m.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()));
        Assert.Equal(Independent.MacroF1(confusion), m.GetProperty("f1_macro").GetDouble(), 12);
        Assert.Equal(40, m.GetProperty("confusion").EnumerateArray().SelectMany(r => r.EnumerateArray()).Sum(v => v.GetInt64()));
    }

    [Fact]
    public void Report_card_counts_whole_word_queries_per_million_tokens()
    {
        var cat = new QueryCategory("Test", ["burn", "poison the"]);
        var f = ReportCard.Frequencies([("s", ["Burn it. They poison the well; sunburn is fine.", "nothing here"])], [cat]).Single();
        Assert.Equal(2, f.Hits);
        Assert.Equal(11, f.Tokens);
        Assert.Equal(2e6 / 11, f.PerMillionTokens, 6);
    }
}
