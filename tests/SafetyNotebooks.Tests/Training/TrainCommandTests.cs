using System.Text.Json;
using SafetyNotebooks.Training;

namespace SafetyNotebooks.Tests.Training;

public class TrainCommandTests
{
    /// <summary>A tiny training config (also the kill-and-resume test's, with more steps).</summary>
    internal static string Yaml(string output, string docs, string extra = "", int steps = 4, int checkpointEvery = 2) => $"""
        model:
          vocab_size: 258
          hidden_size: 32
          intermediate_size: 64
          num_layers: 1
          num_heads: 4
          num_kv_heads: 2
        data:
          documents: {docs}
        output: {output}
        device: cpu
        steps: {steps}
        batch_size: 2
        seq_len: 16
        lr: 0.003
        checkpoint_every: {checkpointEvery}
        {extra}
        """;

    [Fact]
    public async Task Train_from_yaml_writes_log_and_checkpoint_and_resumes()
    {
        var dir = Foundation.TestDirs.Fresh();
        var docs = Path.Combine(dir, "docs.jsonl");
        File.WriteAllLines(docs, Enumerable.Range(0, 20).Select(i => JsonSerializer.Serialize(new { text = $"a small toy document number {i}" })));
        var yaml = Path.Combine(dir, "train.yaml");
        var output = Path.Combine(dir, "run");
        File.WriteAllText(yaml, Yaml(output, docs));
        var r = await Foundation.CliRunner.RunAsync("train", "--config", yaml, "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(4, Trainer.ReadLog(output).Count);
        Assert.True(File.Exists(Path.Combine(output, "checkpoint", "config.json")));
        var again = await Foundation.CliRunner.RunAsync("train", "--config", yaml, "--resume", "--json");
        Assert.Equal(0, again.Code);
        Assert.Equal(4, JsonDocument.Parse(again.Out).RootElement.GetProperty("start_step").GetInt32());
    }

    [Theory]
    [InlineData("learning_rate: 0.1", "learning_rate")]
    [InlineData("schedule: linear", "schedule")]
    [InlineData("grad_accum: 0", "grad_accum")]
    public async Task Bad_config_is_exit_2_naming_the_key(string extra, string key)
    {
        var dir = Foundation.TestDirs.Fresh();
        var yaml = Path.Combine(dir, "train.yaml");
        File.WriteAllText(yaml, Yaml(Path.Combine(dir, "run"), Path.Combine(dir, "docs.jsonl"), extra));
        var r = await Foundation.CliRunner.RunAsync("train", "--config", yaml);
        Assert.Equal(2, r.Code);
        Assert.Contains($"'{key}'", r.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")));
    }
}
