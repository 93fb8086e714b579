using System.Text.Json;
using SafetyNotebooks.Modeling;
using static TorchSharp.torch;

namespace SafetyNotebooks.Tests.Modeling;

public class ModelCommandTests
{
    [Fact]
    public async Task Logits_json_matches_the_fixture()
    {
        var (prompt, expected, _) = LlamaFixture.Cases().First();
        var r = await Foundation.CliRunner.RunAsync("model", "logits", "--model", LlamaFixture.Dir, "--ids", string.Join(",", prompt), "--device", "cpu", "--json");
        Assert.True(r.Code == 0, r.Err);
        var rows = JsonDocument.Parse(r.Out).RootElement.GetProperty("logits").EnumerateArray().ToList();
        Assert.Equal(prompt.Length, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var got = rows[i].EnumerateArray().Select(x => x.GetSingle()).ToArray();
            Assert.Equal(512, got.Length);
            Assert.True(got.Zip(expected[i]).Max(p => Math.Abs(p.First - p.Second)) < 1e-4f);
        }
    }

    [Fact]
    public async Task Info_and_bad_input()
    {
        var info = await Foundation.CliRunner.RunAsync("model", "info", "--model", LlamaFixture.Dir, "--json");
        Assert.Equal(0, info.Code);
        Assert.Equal(4, JsonDocument.Parse(info.Out).RootElement.GetProperty("num_key_value_heads").GetInt32());
        var bad = await Foundation.CliRunner.RunAsync("model", "logits", "--model", LlamaFixture.Dir, "--ids", "1,9999");
        Assert.Equal(2, bad.Code);
        Assert.Contains("9999", bad.Err);
        var missing = await Foundation.CliRunner.RunAsync("model", "info", "--model", Foundation.TestDirs.Fresh());
        Assert.Equal(2, missing.Code);
    }

    /// <summary>The fixture with <paramref name="edit"/> applied to its tensors (by name) before they are saved again.</summary>
    static string FixtureWith(Action<Dictionary<string, Tensor>> edit)
    {
        var dir = Foundation.TestDirs.Fresh();
        File.Copy(Path.Combine(LlamaFixture.Dir, "config.json"), Path.Combine(dir, "config.json"));
        var tensors = Safetensors.Load(Path.Combine(LlamaFixture.Dir, LlamaModel.WeightsFile));
        edit(tensors);
        Safetensors.Save(Path.Combine(dir, LlamaModel.WeightsFile), tensors);
        foreach (var t in tensors.Values) t.Dispose();
        return dir;
    }

    [Theory]
    [InlineData("shape")]
    [InlineData("missing")]
    [InlineData("unexpected")]
    public async Task Info_refuses_what_logits_refuses_with_the_same_message(string fault)
    {
        var dir = FixtureWith(t =>
        {
            switch (fault)
            {
                case "shape": t["model.norm.weight"].Dispose(); t["model.norm.weight"] = ones(7); break;
                case "missing": t["model.norm.weight"].Dispose(); t.Remove("model.norm.weight"); break;
                default: t["model.layers.0.extra.weight"] = ones(3); break;
            }
        });
        var info = await Foundation.CliRunner.RunAsync("model", "info", "--model", dir);
        var logits = await Foundation.CliRunner.RunAsync("model", "logits", "--model", dir, "--ids", "1", "--device", "cpu");
        Assert.Equal(2, logits.Code);
        Assert.Equal(2, info.Code);
        Assert.Equal("", info.Out); // no parameter count for a checkpoint that does not load
        Assert.Equal(logits.Err, info.Err);
        Assert.Contains(fault == "unexpected" ? "model.layers.0.extra.weight" : "model.norm.weight", info.Err);
        if (fault == "shape") Assert.Contains("[7]", info.Err);
    }
}
