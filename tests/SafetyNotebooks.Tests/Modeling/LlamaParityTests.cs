using System.Text.Json;
using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Tests.Modeling;

public class LlamaParityTests
{
    static readonly Lazy<LlamaForCausalLM> Model = new(() => LlamaModel.Load(LlamaFixture.Dir));

    [Fact]
    public void Logits_match_hugging_face_within_1e_4()
    {
        foreach (var (prompt, expected, _) in LlamaFixture.Cases())
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var logits = Model.Value.Forward(tensor(prompt).unsqueeze(0));
            Assert.Equal(new long[] { 1, prompt.Length, 512 }, logits.shape);
            var want = tensor(expected.SelectMany(r => r).ToArray()).view(prompt.Length, 512);
            var maxDiff = (logits[0] - want).abs().max().item<float>();
            Assert.True(maxDiff < 1e-4f, $"max |Δlogit| = {maxDiff}");
        }
    }

    [Fact]
    public void Greedy_continuation_matches_with_and_without_cache()
    {
        foreach (var (prompt, _, greedy) in LlamaFixture.Cases())
        {
            Assert.Equal(greedy, LlamaFixture.Greedy(Model.Value, prompt, greedy.Length, useCache: false));
            Assert.Equal(greedy, LlamaFixture.Greedy(Model.Value, prompt, greedy.Length, useCache: true));
        }
    }

    [Fact]
    public void Left_padded_batch_with_mask_and_positions_matches_single_rows()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var cases = LlamaFixture.Cases().ToList();
        var a = cases[0].PromptIds;
        var b = a.Take(a.Length - 3).ToArray();
        const long pad = 0;
        var ids = tensor(a.Concat(Enumerable.Repeat(pad, 3)).Concat(b).ToArray()).view(2, a.Length);
        var mask = tensor(Enumerable.Repeat(1L, a.Length).Concat(Enumerable.Repeat(0L, 3)).Concat(Enumerable.Repeat(1L, b.Length)).ToArray()).view(2, a.Length);
        var positions = (mask.cumsum(1) - 1).clamp_min(0);
        var batched = Model.Value.Forward(ids, positions, mask);
        var alone = Model.Value.Forward(tensor(b).unsqueeze(0));
        var diff = (batched[1, TensorIndex.Slice(3)] - alone[0]).abs().max().item<float>();
        Assert.True(diff < 1e-4f, $"padded row differs by {diff}");
        var fullDiff = (batched[0] - Model.Value.Forward(tensor(a).unsqueeze(0))[0]).abs().max().item<float>();
        Assert.True(fullDiff < 1e-4f, $"unpadded row differs by {fullDiff}");

        // Continue both rows by one token through a cache filled with the padded prefix.
        using var cache = Model.Value.CreateCache();
        Model.Value.Forward(ids, positions, mask, cache);
        var nextIds = tensor(new long[] { 7, 7 }).view(2, 1);
        var nextPos = positions[TensorIndex.Colon, TensorIndex.Slice(-1)] + 1;
        var nextMask = cat([mask, ones(2, 1, dtype: ScalarType.Int64)], 1);
        var step = Model.Value.Forward(nextIds, nextPos, nextMask, cache);
        var reference = Model.Value.Forward(tensor(b.Append(7L).ToArray()).unsqueeze(0));
        var stepDiff = (step[1, 0] - reference[0, -1]).abs().max().item<float>();
        Assert.True(stepDiff < 1e-4f, $"cached step differs by {stepDiff}");
    }

    [Fact]
    public void SelectRows_reorders_drops_and_expands_cache_rows()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var model = Model.Value;
        var prompts = LlamaFixture.Cases().Select(c => c.PromptIds.Take(4).ToArray()).ToList();
        using var cache = model.CreateCache();
        model.Forward(tensor(prompts.SelectMany(p => p).ToArray()).view(2, 4), cache: cache);
        cache.SelectRows(tensor(new long[] { 1, 1, 0 }));
        Assert.Equal(3, cache.Rows);
        Assert.Equal(4, cache.Length);
        var step = model.Forward(tensor(new long[] { 5, 9, 5 }).view(3, 1), cache: cache);
        long[][] full = [[.. prompts[1], 5], [.. prompts[1], 9], [.. prompts[0], 5]];
        for (var r = 0; r < 3; r++)
        {
            var want = model.Forward(tensor(full[r]).unsqueeze(0))[0, -1];
            Assert.True((step[r, 0] - want).abs().max().item<float>() < 1e-4f, $"row {r}");
        }
        cache.SelectRows(tensor(new long[] { 2 }));
        Assert.Equal(1, cache.Rows);
        Assert.Equal(5, cache.Length);
    }

    [Fact]
    public void Save_then_load_round_trips_and_tied_model_has_no_lm_head()
    {
        using var scope = NewDisposeScope();
        var dir = Foundation.TestDirs.Fresh();
        Model.Value.Save(dir);
        var (entries, _, _) = Safetensors.ReadHeader(Path.Combine(dir, "model.safetensors"));
        Assert.DoesNotContain(entries, e => e.Name == "lm_head.weight");
        Assert.Contains(entries, e => e.Name == "model.layers.1.mlp.down_proj.weight");
        Assert.Equal(1 + 2 * 9 + 1, entries.Count); // embeddings, 2 × 9 per layer, final norm
        var again = LlamaModel.Load(dir);
        Assert.Equal(Model.Value.Config, again.Config);
        using var _ = no_grad();
        var ids = tensor(new long[] { 1, 17, 42 }).unsqueeze(0);
        Assert.True(Model.Value.Forward(ids).eq(again.Forward(ids)).all().item<bool>());
    }

    [Fact]
    public void Bfloat16_load_stays_close_to_float32()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var bf16 = LlamaModel.Load(LlamaFixture.Dir, dtype: ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf16.ParameterDType);
        var ids = tensor(LlamaFixture.Cases().First().PromptIds).unsqueeze(0);
        var a = bf16.Forward(ids);
        Assert.Equal(ScalarType.Float32, a.dtype);
        var b = Model.Value.Forward(ids);
        // Logits are O(10) here; bfloat16 keeps ~3 significant digits through 2 layers.
        Assert.True((a - b).abs().max().item<float>() < 0.5f);
    }
}
