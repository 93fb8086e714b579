using System.Text.Json;
using System.Text.Json.Nodes;
using SafetyNotebooks.Tests.Modeling;

namespace SafetyNotebooks.Tests.Foundation.Hostile;

/// <summary>Out-of-range options and config values are exit 2 naming the option or key and the value; sizes are bounded by model and machine (issue 19).</summary>
public sealed class BoundsTests
{
    static readonly Lazy<string> Tiny = new(() => TinyLlamaFolder.Create(seed: 5));

    static void AssertRefused(CliRunner.Outcome r, params string[] mentions)
    {
        Assert.Equal(2, r.Code);
        foreach (var m in mentions) Assert.Contains(m, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.DoesNotContain("Exception", r.Err);
    }

    public static TheoryData<string[], string, string> OutOfRange => new()
    {
        { ["data", "head", "x.parquet", "--rows", "-1"], "--rows", "-1" },
        { ["serve", "--model", "toy", "--max-body-bytes", "-1"], "--max-body-bytes", "-1" },
        { ["serve", "--model", "toy", "--port", "70000"], "--port", "70000" },
        { ["synth", "rephrase", "--input", "x", "--output", "o", "--endpoint", "toy", "--model", "m", "--limit", "-1"], "--limit", "-1" },
        { ["synth", "rephrase", "--input", "x", "--output", "o", "--endpoint", "toy", "--model", "m", "--temperature", "-3"], "--temperature", "-3" },
        { ["eval", "attack", "--prompts", "x", "--output", "o", "--threshold", "9"], "--threshold", "9" },
        { ["eval", "asr", "--input", "x.jsonl", "--resamples", "2000000000"], "--resamples", "2000000000" },
        { ["generate", "--model", "m", "--ids", "1", "--max-new-tokens", "0"], "--max-new-tokens", "0" },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public async Task An_option_out_of_range_is_a_usage_error_naming_it(string[] args, string option, string value)
    {
        var r = await CliRunner.RunAsync(args);
        AssertRefused(r, option, value);
    }

    [Fact]
    public async Task Max_new_tokens_beyond_the_models_positions_is_refused()
    {
        var r = await CliRunner.RunAsync("generate", "--model", Tiny.Value, "--ids", "1,2", "--max-new-tokens", "100000", "--device", "cpu");
        AssertRefused(r, "--max-new-tokens", "100000", "max_position_embeddings");
    }

    [Fact]
    public async Task A_vocab_size_too_large_for_the_machine_is_refused_before_libtorch_allocates()
    {
        var dir = TestDirs.Fresh();
        foreach (var f in Directory.GetFiles(Tiny.Value)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        var configPath = Path.Combine(dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["vocab_size"] = int.MaxValue;
        File.WriteAllText(configPath, config.ToJsonString());
        foreach (var command in new[] { "info", "logits" })
        {
            var r = await CliRunner.RunAsync(command == "info" ? ["model", "info", "--model", dir] : ["model", "logits", "--model", dir, "--ids", "1", "--device", "cpu"]);
            AssertRefused(r, configPath, "vocab_size", int.MaxValue.ToString());
        }
    }

    [Fact]
    public async Task A_batch_larger_than_memory_is_refused_and_leaves_no_log()
    {
        var dir = TestDirs.Fresh();
        var docs = Path.Combine(dir, "docs.jsonl");
        File.WriteAllLines(docs, Enumerable.Range(0, 10).Select(i => JsonSerializer.Serialize(new { text = $"document number {i} of the toy set" })));
        var yaml = Path.Combine(dir, "train.yaml");
        var output = Path.Combine(dir, "run");
        File.WriteAllText(yaml, Training.TrainCommandTests.Yaml(output, docs).Replace("batch_size: 2", "batch_size: 2000000000"));
        var r = await CliRunner.RunAsync("train", "--config", yaml);
        AssertRefused(r, yaml, "batch_size", "2000000000");
        Assert.False(File.Exists(Path.Combine(output, "log.jsonl")));
    }

    [Fact]
    public async Task A_seq_len_longer_than_the_data_names_the_yaml_key()
    {
        var dir = TestDirs.Fresh();
        var docs = Path.Combine(dir, "docs.jsonl");
        File.WriteAllLines(docs, ["{\"text\": \"tiny\"}"]);
        var yaml = Path.Combine(dir, "train.yaml");
        File.WriteAllText(yaml, Training.TrainCommandTests.Yaml(Path.Combine(dir, "run"), docs).Replace("seq_len: 16", "seq_len: 4000"));
        var r = await CliRunner.RunAsync("train", "--config", yaml);
        AssertRefused(r, "seq_len", "4000");
    }

    [Fact]
    public async Task Negative_epochs_in_scoring_train_are_refused()
    {
        var dir = TestDirs.Fresh();
        File.WriteAllText(Path.Combine(dir, "t.jsonl"), "{\"text\": \"a\", \"safety_score\": 0}\n");
        var yaml = Path.Combine(dir, "c.yaml");
        File.WriteAllText(yaml, "train: t.jsonl\noutput: out\nrecipe: toy\nepochs: -2\n");
        var r = await CliRunner.RunAsync("scoring", "train", "--config", yaml);
        AssertRefused(r, yaml, "epochs", "-2");
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public void Bounds_accept_the_edges_and_refuse_beyond()
    {
        Assert.Equal(0, Bounds.Within(0, 0, 5, "x"));
        Assert.Equal(5.0, Bounds.Within(5.0, 0, 5, "x"));
        var e = Assert.Throws<BadInputException>(() => Bounds.Within(6, 0, 5, "file.yaml", "key"));
        Assert.Contains("file.yaml", e.Message);
        Assert.Contains("key", e.Message);
        Assert.Contains("6", e.Message);
        Assert.Throws<BadInputException>(() => Bounds.FitsInMemory(double.PositiveInfinity, "x", "s", "f", "v"));
        Bounds.FitsInMemory(1024, "x", "s", "f", "v");
    }
}
