using System.Text.Json;
using SafetyNotebooks.Scoring;
using static TorchSharp.torch;

namespace SafetyNotebooks.Tests.Scoring;

/// <summary>Parity of the TorchSharp gte-en-v1.5 classifier with Hugging Face (fixtures/gte-a, float32 on CPU).</summary>
public sealed class GteParityTests
{
    static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "fixtures", "gte-a");
    static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "expected.json"))).RootElement;

    static long[,] Ints(JsonElement rows)
    {
        var r = rows.EnumerateArray().Select(x => x.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        var a = new long[r.Length, r[0].Length];
        for (var i = 0; i < r.Length; i++) for (var j = 0; j < r[0].Length; j++) a[i, j] = r[i][j];
        return a;
    }

    static float[] Flat(JsonElement e) => e.ValueKind == JsonValueKind.Array
        ? e.EnumerateArray().SelectMany(Flat).ToArray()
        : [e.GetSingle()];

    static double MaxDiff(Tensor actual, float[] expected)
    {
        var a = actual.contiguous().cpu().data<float>().ToArray();
        Assert.Equal(expected.Length, a.Length);
        return a.Zip(expected, (x, y) => Math.Abs(x - y)).Max();
    }

    [Fact]
    public void Rope_inverse_frequencies_match_the_ntk_scaled_ones()
    {
        var config = GteConfig.Load(Path.Combine(Dir, "config.json"));
        var expected = Expected.GetProperty("rope").GetProperty("inv_freq").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var actual = GteRope.InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScalingFactor);
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], expected[i] * 1e-6);
    }

    [Fact]
    public void Logits_pooled_output_and_hidden_states_match_transformers_on_all_batches()
    {
        using var model = GteForSequenceClassification.Load(Dir);
        foreach (var batch in Expected.GetProperty("batches").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            var name = batch.GetProperty("name").GetString();
            var ids = tensor(Ints(batch.GetProperty("input_ids")));
            var mask = tensor(Ints(batch.GetProperty("attention_mask")));
            var types = batch.GetProperty("token_type_ids_passed").GetBoolean() ? tensor(Ints(batch.GetProperty("token_type_ids"))) : null;
            using var _ = no_grad();
            var output = model.Forward(ids, mask, types);
            Assert.True(MaxDiff(output.Logits, Flat(batch.GetProperty("logits"))) < 1e-5, $"{name}: logits");
            Assert.True(MaxDiff(output.Pooled, Flat(batch.GetProperty("pooled_output"))) < 1e-5, $"{name}: pooled");
            // Padded positions are meaningless; compare the first token of every layer's output.
            var states = batch.GetProperty("hidden_states").EnumerateArray().ToList();
            Assert.Equal(states.Count, output.HiddenStates.Count);
            for (var l = 0; l < states.Count; l++)
            {
                var expected = Flat(states[l]);
                var actual = output.HiddenStates[l];
                var lengths = batch.GetProperty("lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                var (t, h) = ((int)actual.shape[1], (int)actual.shape[2]);
                var data = actual.contiguous().data<float>().ToArray();
                for (var b = 0; b < lengths.Length; b++)
                    for (var p = 0; p < lengths[b]; p++)
                        for (var k = 0; k < h; k++)
                        {
                            var i = (b * t + p) * h + k;
                            Assert.True(Math.Abs(data[i] - expected[i]) < 1e-4, $"{name}: layer {l} row {b} pos {p}");
                        }
            }
        }
    }

    [Fact]
    public void Save_then_load_round_trips_the_weights()
    {
        using var model = GteForSequenceClassification.Load(Dir);
        var dir = Foundation.TestDirs.Fresh();
        model.Save(dir);
        using var again = GteForSequenceClassification.Load(dir);
        using var scope = NewDisposeScope();
        var ids = tensor(new long[,] { { 101, 7, 9, 102 } });
        var mask = ones_like(ids);
        using var _ = no_grad();
        Assert.Equal(0.0, (model.Forward(ids, mask).Logits - again.Forward(ids, mask).Logits).abs().max().item<float>());
    }

    [Fact]
    public void A_config_with_another_architecture_is_refused_with_the_field_named()
    {
        var dir = Foundation.TestDirs.Fresh();
        File.WriteAllText(Path.Combine(dir, "config.json"), File.ReadAllText(Path.Combine(Dir, "config.json")).Replace("\"rope\"", "\"absolute\""));
        var e = Assert.Throws<BadInputException>(() => GteConfig.Load(Path.Combine(dir, "config.json")));
        Assert.Contains("position_embedding_type", e.Message);
    }
}
