using System.Text.Json;

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
}
