using System.Text.Json.Nodes;
using SafetyNotebooks.Modeling;

namespace SafetyNotebooks.Tests.Modeling;

public class LlamaConfigTests
{
    static JsonObject FixtureJson() => JsonNode.Parse(File.ReadAllText(Path.Combine(LlamaFixture.Dir, "config.json")))!.AsObject();

    [Fact]
    public void Reads_transformers_5_rope_parameters_and_top_level_rope_theta()
    {
        var c = LlamaConfig.Load(Path.Combine(LlamaFixture.Dir, "config.json"));
        Assert.Equal(new LlamaConfig(512, 64, 128, 2, 4, 4, 16, 130000, 1e-5, true, 256, 0, 0), c);
        var o = FixtureJson();
        o.Remove("rope_parameters");
        o["rope_theta"] = 100000.0;
        Assert.Equal(100000, LlamaConfig.FromJson(o).RopeTheta);
        // The written config reads back identically.
        Assert.Equal(c, LlamaConfig.FromJson(c.ToJson()));
    }

    [Theory]
    [InlineData("model_type", "\"mistral\"", "model_type")]
    [InlineData("num_key_value_heads", "3", "num_key_value_heads")]
    [InlineData("hidden_size", "\"big\"", "hidden_size")]
    [InlineData("hidden_act", "\"gelu\"", "hidden_act")]
    [InlineData("head_dim", "15", "head_dim")]
    public void Bad_configs_name_the_field(string field, string json, string named)
    {
        var o = FixtureJson();
        o[field] = JsonNode.Parse(json);
        var e = Assert.Throws<BadInputException>(() => LlamaConfig.FromJson(o, "cfg.json"));
        Assert.Contains($"'{named}'", e.Message);
    }

    [Fact]
    public void Shape_mismatch_and_pickles_are_refused()
    {
        var dir = Foundation.TestDirs.Fresh();
        var o = FixtureJson();
        o["intermediate_size"] = 96;
        File.WriteAllText(Path.Combine(dir, "config.json"), o.ToJsonString());
        File.Copy(Path.Combine(LlamaFixture.Dir, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
        var e = Assert.Throws<BadInputException>(() => LlamaModel.Load(dir));
        Assert.Contains("mlp", e.Message);

        var pickled = Foundation.TestDirs.Fresh();
        File.Copy(Path.Combine(LlamaFixture.Dir, "config.json"), Path.Combine(pickled, "config.json"));
        File.WriteAllBytes(Path.Combine(pickled, "pytorch_model.bin"), [0x80, 0x02]);
        Assert.Contains("pickled", Assert.Throws<BadInputException>(() => LlamaModel.Load(pickled)).Message);
    }

    [Fact]
    public void Sharded_index_loads_and_refuses_escaping_shard_names()
    {
        var dir = Foundation.TestDirs.Fresh();
        File.Copy(Path.Combine(LlamaFixture.Dir, "config.json"), Path.Combine(dir, "config.json"));
        var all = Safetensors.Load(Path.Combine(LlamaFixture.Dir, "model.safetensors"));
        var names = all.Keys.Order().ToList();
        var first = names.Take(names.Count / 2).ToDictionary(n => n, n => all[n]);
        var second = names.Skip(names.Count / 2).ToDictionary(n => n, n => all[n]);
        Safetensors.Save(Path.Combine(dir, "model-00001-of-00002.safetensors"), first);
        Safetensors.Save(Path.Combine(dir, "model-00002-of-00002.safetensors"), second);
        var map = new JsonObject();
        foreach (var n in first.Keys) map[n] = "model-00001-of-00002.safetensors";
        foreach (var n in second.Keys) map[n] = "model-00002-of-00002.safetensors";
        File.WriteAllText(Path.Combine(dir, LlamaModel.ShardIndexFile), new JsonObject { ["weight_map"] = map }.ToJsonString());
        var model = LlamaModel.Load(dir);
        Assert.Equal(512, model.VocabSize);

        map[names[0]] = "../evil.safetensors";
        File.WriteAllText(Path.Combine(dir, LlamaModel.ShardIndexFile), new JsonObject { ["weight_map"] = map.DeepClone() }.ToJsonString());
        Assert.Contains("escapes", Assert.Throws<BadInputException>(() => LlamaModel.Load(dir)).Message);
        foreach (var t in all.Values) t.Dispose();
    }
}
