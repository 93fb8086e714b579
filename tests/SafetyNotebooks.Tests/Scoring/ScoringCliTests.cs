using System.Text.Json;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Scoring;

public sealed class ScoringCliTests
{
    static readonly string Gte = Path.Combine(AppContext.BaseDirectory, "fixtures", "gte-a");

    [Fact]
    public async Task Classify_prints_the_fixture_logits_and_scores()
    {
        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Gte, "expected.json"))).RootElement.GetProperty("batches")[1];
        var dir = TestDirs.Fresh();
        var batch = Path.Combine(dir, "batch.json");
        File.WriteAllText(batch, JsonSerializer.Serialize(new
        {
            input_ids = expected.GetProperty("input_ids"),
            attention_mask = expected.GetProperty("attention_mask"),
            token_type_ids = expected.GetProperty("token_type_ids"),
        }));
        var r = await CliRunner.RunAsync("classify", "--model", Gte, "--batch", batch, "--json", "--device", "cpu");
        Assert.True(r.Code == 0, r.Err);
        var output = JsonDocument.Parse(r.Out).RootElement;
        var logits = output.GetProperty("logits").EnumerateArray().SelectMany(row => row.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        var want = expected.GetProperty("logits").EnumerateArray().SelectMany(row => row.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        Assert.Equal(want.Length, logits.Length);
        Assert.All(logits.Zip(want), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-5));
        Assert.Equal(expected.GetProperty("argmax").EnumerateArray().Select(v => v.GetInt32()), output.GetProperty("scores").EnumerateArray().Select(v => v.GetInt32()));
    }

    [Fact]
    public async Task Classify_ignores_token_types_when_the_model_has_no_token_type_table()
    {
        // gte-base-en-v1.5 is released with type_vocab_size 0: Hugging Face then ignores token_type_ids.
        var model = TestDirs.Fresh();
        foreach (var f in Directory.GetFiles(Gte)) File.Copy(f, Path.Combine(model, Path.GetFileName(f)));
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!;
        config["type_vocab_size"] = 0;
        File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Gte, "expected.json"))).RootElement.GetProperty("batches")[1];
        async Task<string> Logits(bool withTypes)
        {
            var batch = Path.Combine(TestDirs.Fresh(), "batch.json");
            File.WriteAllText(batch, withTypes
                ? JsonSerializer.Serialize(new { input_ids = expected.GetProperty("input_ids"), attention_mask = expected.GetProperty("attention_mask"), token_type_ids = expected.GetProperty("token_type_ids") })
                : JsonSerializer.Serialize(new { input_ids = expected.GetProperty("input_ids"), attention_mask = expected.GetProperty("attention_mask") }));
            var r = await CliRunner.RunAsync("classify", "--model", model, "--batch", batch, "--json", "--device", "cpu");
            Assert.True(r.Code == 0, r.Err);
            return JsonDocument.Parse(r.Out).RootElement.GetProperty("logits").GetRawText();
        }
        Assert.Contains(1, expected.GetProperty("token_type_ids").EnumerateArray().SelectMany(row => row.EnumerateArray().Select(v => v.GetInt32())));
        Assert.Equal(await Logits(withTypes: false), await Logits(withTypes: true));
    }

    [Fact]
    public async Task Classify_refuses_ragged_rows_with_exit_2_naming_the_field()
    {
        var dir = TestDirs.Fresh();
        var batch = Path.Combine(dir, "batch.json");
        File.WriteAllText(batch, """{"input_ids": [[101, 5, 102], [101, 102]]}""");
        var r = await CliRunner.RunAsync("classify", "--model", Gte, "--batch", batch, "--json");
        Assert.Equal(2, r.Code);
        Assert.Contains("input_ids", r.Err);
    }

    [Fact]
    public async Task Metrics_of_the_published_gte_base_matrix_match_table_3()
    {
        var dir = TestDirs.Fresh();
        var path = Path.Combine(dir, "m.json");
        File.WriteAllText(path, JsonSerializer.Serialize(SafetyNotebooks.Scoring.PaperNumbers.GteBase.ToRows()));
        var r = await CliRunner.RunAsync("scoring", "metrics", "--confusion", path, "--json");
        Assert.True(r.Code == 0, r.Err);
        var m = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(0.4114, Math.Round(m.GetProperty("f1_macro").GetDouble(), 4));
        Assert.Equal(0.7748, Math.Round(m.GetProperty("recall_at_1").GetDouble(), 4));
        Assert.Equal(0.6821, Math.Round(m.GetProperty("recall_at_3").GetDouble(), 4));
        File.WriteAllText(path, "[[1,2,3]]");
        Assert.Equal(2, (await CliRunner.RunAsync("scoring", "metrics", "--confusion", path, "--json")).Code);
    }

    [Fact]
    public async Task Train_from_a_yaml_config_writes_a_loadable_classifier_and_reruns_resume()
    {
        var dir = TestDirs.Fresh();
        var data = ClassifierTests.Corpus(120, 9);
        File.WriteAllLines(Path.Combine(dir, "train.jsonl"), data.Select(x => JsonSerializer.Serialize(new { text = x.Text, safety_score = x.Score })));
        File.WriteAllText(Path.Combine(dir, "train.yaml"), """
            train: train.jsonl
            eval_fraction: 0.2
            output: model
            checkpoints: ckpt
            recipe: toy
            epochs: 2
            lambda: 3
            max_length: 24
            device: cpu
            """);
        var r = await CliRunner.RunAsync("scoring", "train", "--config", Path.Combine(dir, "train.yaml"), "--json");
        Assert.True(r.Code == 0, r.Err);
        var report = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(2, report.GetProperty("epochs").GetInt32()); // the toy recipe: full fine-tuning only (no linear probe on random features)
        Assert.False(report.GetProperty("resumed").GetBoolean());
        Assert.True(File.Exists(Path.Combine(dir, "model", "tokenizer.json")));
        using (var c = SafetyNotebooks.Scoring.SafetyClassifier.Load(Path.Combine(dir, "model"), "cpu"))
        {
            // one chunk: the score is the most probable of the 6 classes, whose probabilities sum to 1
            var p = c.Predict(["a bomb in the garden"]).Single();
            Assert.Equal(6, p.Probabilities.Length);
            Assert.Equal(1.0, p.Probabilities.Sum(x => (double)x), 4);
            Assert.Equal(Array.IndexOf(p.Probabilities, p.Probabilities.Max()), p.Score);
            Assert.Equal(p.Score, c.Score(["a bomb in the garden"])[0]);
        }
        var again = await CliRunner.RunAsync("scoring", "train", "--config", Path.Combine(dir, "train.yaml"), "--json");
        Assert.True(JsonDocument.Parse(again.Out).RootElement.GetProperty("resumed").GetBoolean());

        File.WriteAllText(Path.Combine(dir, "bad.yaml"), "train: train.jsonl\noutput: m\nrecipe: lp-ft\n");
        var bad = await CliRunner.RunAsync("scoring", "train", "--config", Path.Combine(dir, "bad.yaml"));
        Assert.Equal(2, bad.Code);
        Assert.Contains("init_from", bad.Err);
    }
}
