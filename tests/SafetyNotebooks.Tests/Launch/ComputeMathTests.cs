using FsCheck;
using FsCheck.Xunit;
using SafetyNotebooks.Launch;

namespace SafetyNotebooks.Tests.Launch;

public class ComputeMathTests
{
    static readonly ModelShape Smol17 = ModelShapes.SmolLM2_1_7B;

    [Fact]
    public void SmolLM2_1_7B_parameter_counts_match_the_reference_arithmetic()
    {
        // PRETRAINING.md §4: tied 1,711,376,384; untied 1,812,039,680; matmul incl. head 1,711,276,032.
        Assert.Equal(67_108_864, ComputeMath.BlockMatmulParams(Smol17));
        Assert.Equal(1_711_376_384, ComputeMath.TotalParams(Smol17, 49152, tied: true));
        Assert.Equal(1_812_039_680, ComputeMath.TotalParams(Smol17, 49152, tied: false));
        Assert.Equal(1_711_276_032, ComputeMath.MatmulParams(Smol17, 49152));
    }

    [Theory]
    [InlineData(2048, 11_475_615_744.0)]
    [InlineData(4096, 12_683_575_296.0)]
    [InlineData(8192, 15_099_494_400.0)]
    public void Flops_per_token_is_6N_plus_attention(int seq, double expected) =>
        Assert.Equal(expected, ComputeMath.TrainingFlopsPerToken(Smol17, 49152, seq));

    [Fact]
    public void Grouped_query_attention_shrinks_k_and_v()
    {
        var m = ModelShapes.SmolLM2_135M; // 9 heads of 64, 3 KV groups
        Assert.Equal(576L * 576 * 2 + 2L * 576 * 192 + 3L * 576 * 1536, ComputeMath.BlockMatmulParams(m));
    }

    [Theory]
    [InlineData(0.30, 8.39)]
    [InlineData(0.40, 6.29)]
    [InlineData(0.50, 5.03)]
    public void Paper_run_days_at_mfu_match_the_reference_table(double mfu, double days)
    {
        var tps = ComputeMath.TokensPerSecondPerGpu(mfu, Gpus.H100.PeakBf16Flops, ComputeMath.TrainingFlopsPerToken(Smol17, 49152, 2048));
        Assert.Equal(days, ComputeMath.TrainingSeconds(600e9, 32, tps) / 86400, 2);
    }

    [Property]
    public bool Mfu_inverts_tokens_per_second(PositiveInt mfuPermille, PositiveInt flopsMillions)
    {
        var mfu = Math.Min(mfuPermille.Get, 1000) / 1000.0;
        var flops = flopsMillions.Get * 1e6;
        var tps = ComputeMath.TokensPerSecondPerGpu(mfu, 989.5e12, flops);
        return Math.Abs(ComputeMath.Mfu(tps, 989.5e12, flops) - mfu) < 1e-9;
    }

    [Property]
    public bool PadTo_gives_the_smallest_multiple_at_or_above(PositiveInt n, PositiveInt multiple)
    {
        var m = multiple.Get % 1024 + 1;
        var p = ComputeMath.PadTo(n.Get, m);
        return p % m == 0 && p >= n.Get && p - n.Get < m;
    }

    [Property]
    public bool Training_time_times_rate_is_the_token_budget(PositiveInt tokensMillions, PositiveInt gpus, PositiveInt rate)
    {
        var seconds = ComputeMath.TrainingSeconds(tokensMillions.Get * 1e6, gpus.Get, rate.Get);
        return Math.Abs(seconds * gpus.Get * rate.Get / (tokensMillions.Get * 1e6) - 1) < 1e-12;
    }

    [Fact]
    public void Vocabulary_adds_one_id_for_a_new_tag_and_pads_to_128()
    {
        var v = TokenizerVocabulary.ForSize(49152, "<potentially_unsafe_content>");
        Assert.Equal((49153, 49280, 49152, true), (v.VocabSize, v.PaddedVocabSize, v.TagId!.Value, v.TagAppended));
        var existing = TokenizerVocabulary.ForSize(49153, "<t>", existingTagId: 49152);
        Assert.Equal((49153, 49280, false), (existing.VocabSize, existing.PaddedVocabSize, existing.TagAppended));
        var none = TokenizerVocabulary.ForSize(49152, null);
        Assert.Equal((49152, 49152, (int?)null), (none.VocabSize, none.PaddedVocabSize, none.TagId));
    }

    [Fact]
    public void Batch_arithmetic_follows_litgpt()
    {
        var r = new PretrainRequest("SmolLM2-1.7B", 4, 8, 600e9, "d", "t", "o");
        var b = PretrainPlanner.Batch(r);
        Assert.Equal(32, b.WorldSize);
        Assert.Equal(4, b.GradientAccumulation);
        Assert.Equal(2_097_152, b.TokensPerStep);
        Assert.Equal(600_000_000_000L / 32 / (8 * 2048), b.MicroIterationsPerDevice);
        Assert.Equal(286_102, b.OptimizerSteps);
        Assert.True(b.TokensTrained <= 600_000_000_000L && b.TokensTrained > 600_000_000_000L - b.TokensPerStep);
    }

    [Theory]
    [InlineData(3, 8, 1024, 8, 600e9, "do not divide the global batch")]
    [InlineData(4, 8, 1024, 3, 600e9, "not a multiple of the micro-batch")]
    [InlineData(4, 8, 1024, 8, 1.5, "whole number of tokens")]
    [InlineData(4, 8, 1024, 8, 1e6, "does not fill one optimizer step")]
    [InlineData(0, 8, 1024, 8, 600e9, "at least 1")]
    public void Impossible_batches_are_refused(int nodes, int gpus, int global, int micro, double tokens, string reason)
    {
        var r = new PretrainRequest("SmolLM2-1.7B", nodes, gpus, tokens, "d", "t", "o", GlobalBatch: global, MicroBatch: micro);
        var e = Assert.Throws<BadInputException>(() => PretrainPlanner.Batch(r));
        Assert.Contains(reason, e.Message);
    }
}
