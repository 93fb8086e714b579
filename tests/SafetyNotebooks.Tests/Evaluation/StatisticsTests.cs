using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SafetyNotebooks.Evaluation;

namespace SafetyNotebooks.Tests.Evaluation;

public class StatisticsTests
{
    // Known values: Fagerland, Lydersen & Laake (2013), BMC Med Res Methodol 13:91, b=1, c=7: exact 0.070, mid-p 0.039;
    // the others follow from Binomial(n, 1/2) by hand (b=5, c=1: 2·7/64 and 2·(7/64 − 3/64); b=2, c=8: 2·56/1024).
    [Theory]
    [InlineData(1, 7, 0.0703125, 0.0390625)]
    [InlineData(7, 1, 0.0703125, 0.0390625)]
    [InlineData(5, 1, 0.21875, 0.125)]
    [InlineData(2, 8, 0.109375, 0.0654296875)]
    [InlineData(8, 0, 0.0078125, 0.00390625)]
    [InlineData(3, 3, 1.0, 1.0)]
    [InlineData(0, 0, 1.0, 1.0)]
    public void McNemar_matches_known_values(int b, int c, double exact, double mid)
    {
        var r = McNemar.Test(b, c);
        Assert.Equal(exact, r.ExactP, 10);
        Assert.Equal(mid, r.MidP, 10);
    }

    [Fact]
    public void McNemar_does_not_underflow_for_thousands_of_pairs()
    {
        // 0.5^2000 underflows a double; the log-space sum must not. Normal approximation: z = 200/sqrt(2000) ≈ 4.47, p ≈ 7.7e-6.
        var r = McNemar.Test(900, 1100);
        Assert.InRange(r.ExactP, 2e-6, 2e-5);
        Assert.True(r.MidP < r.ExactP);
        Assert.Equal(1.0, McNemar.Test(1000, 1000).ExactP);
    }

    [Fact]
    public void McNemar_from_paired_outcomes_counts_discordant_pairs()
    {
        var first = new[] { true, true, true, false, false, true };
        var second = new[] { true, false, false, false, true, false };
        var r = McNemar.Test(first, second);
        Assert.Equal(3, r.OnlyFirst);
        Assert.Equal(1, r.OnlySecond);
    }

    [Fact]
    public void Quantile_interpolates_linearly_like_numpy()
    {
        Assert.Equal(2.5, Bootstrap.Quantile([1, 2, 3, 4], 0.5));
        Assert.Equal(1.075, Bootstrap.Quantile([1, 2, 3, 4], 0.025), 12);
        Assert.Equal(4, Bootstrap.Quantile([1, 2, 3, 4], 1));
    }

    [Fact]
    public void Bootstrap_interval_of_a_proportion_has_the_binomial_width()
    {
        // 120 of 400: the normal-approximation 95% interval is 0.3 ± 1.96·sqrt(0.21/400) = ±0.0449.
        var outcomes = Enumerable.Range(0, 400).Select(i => i % 10 < 3).ToList();
        var e = Bootstrap.Proportion(outcomes, seed: 7, resamples: 4000);
        Assert.Equal(0.3, e.Value, 12);
        Assert.InRange(e.Upper - e.Lower, 0.08, 0.10);
        Assert.InRange(e.Value - e.Lower, 0.035, 0.055);
    }

    static Arbitrary<(bool[] Outcomes, long Seed)> Samples() =>
        Gen.Choose(1, 60).SelectMany(n => Gen.Elements(true, false).ArrayOf(n))
            .SelectMany(o => Gen.Choose(0, int.MaxValue).Select(s => (o, (long)s))).ToArbitrary();

    [Property(MaxTest = 60)]
    public Property Bootstrap_interval_contains_the_point_estimate_and_stays_in_0_1() =>
        Prop.ForAll(Samples(), s =>
        {
            var e = Bootstrap.Proportion(s.Outcomes, s.Seed, resamples: 300);
            return e.Contains(e.Value) && e.Lower >= 0 && e.Upper <= 1 && e.Value >= 0 && e.Value <= 1;
        });

    [Property(MaxTest = 40)]
    public Property Bootstrap_is_determined_by_its_seed() =>
        Prop.ForAll(Samples(), s =>
            Bootstrap.Proportion(s.Outcomes, s.Seed, resamples: 200) == Bootstrap.Proportion(s.Outcomes.ToList(), s.Seed, resamples: 200));

    [Fact]
    public void Different_seeds_give_different_resamples()
    {
        var outcomes = Enumerable.Range(0, 50).Select(i => i % 3 == 0).ToList();
        var intervals = Enumerable.Range(0, 6).Select(s => Bootstrap.Proportion(outcomes, s, resamples: 200)).Distinct().Count();
        Assert.True(intervals > 1);
    }

    static Arbitrary<AsrOutcome[]> Outcomes() =>
        Gen.Choose(0, 40).SelectMany(n => Gen.Choose(0, 2).SelectMany(src => Gen.Choose(0, 2).Select(h => (src, h))).ArrayOf(n))
            .Select(xs => xs.Select((x, i) => new AsrOutcome($"p{i}", $"src{x.src}", x.h switch { 0 => false, 1 => true, _ => (bool?)null })).ToArray())
            .ToArbitrary();

    [Property(MaxTest = 40)]
    public Property Asr_is_a_rate_with_consistent_counts() =>
        Prop.ForAll(Outcomes(), outcomes =>
        {
            var r = Asr.Compute(outcomes, seed: 3, resamples: 200);
            var groups = r.BySource.Values.Append(r.Pooled);
            return groups.All(g => g.N == 0 ? double.IsNaN(g.Asr.Value) : g.Asr.Value is >= 0 and <= 1 && g.Asr.Contains(g.Asr.Value))
                && r.Pooled.N == r.BySource.Values.Sum(g => g.N)
                && r.Pooled.Unparseable == outcomes.Count(o => o.Harmful is null)
                && r.Pooled.Harmful == outcomes.Count(o => o.Harmful == true)
                && Asr.Compute(outcomes, seed: 3, resamples: 200).Pooled == r.Pooled;
        });

    [Fact]
    public void Asr_excludes_and_reports_unparseable_judgements()
    {
        var outcomes = new[]
        {
            new AsrOutcome("a", "HarmBench", true), new AsrOutcome("b", "HarmBench", false), new AsrOutcome("c", "HarmBench", null),
            new AsrOutcome("d", "AdvBench", true), new AsrOutcome("e", "AdvBench", true),
        };
        var r = Asr.Compute(outcomes, seed: 1, resamples: 500);
        Assert.Equal(0.75, r.Pooled.Asr.Value);
        Assert.Equal(4, r.Pooled.N);
        Assert.Equal(1, r.Pooled.Unparseable);
        Assert.Equal(0.5, r.BySource["HarmBench"].Asr.Value);
        Assert.Equal(1, r.BySource["HarmBench"].Unparseable);
        Assert.Equal(1.0, r.BySource["AdvBench"].Asr.Value);
        Assert.Equal(["AdvBench", "HarmBench"], r.BySource.Keys.ToArray());
    }

    [Fact]
    public void Paired_comparison_reports_difference_interval_and_mcnemar()
    {
        var ids = Enumerable.Range(0, 20).Select(i => $"p{i}").ToArray();
        var standard = ids.Select((id, i) => new AsrOutcome(id, "s", i < 12)).ToList();
        var safe = ids.Select((id, i) => new AsrOutcome(id, "s", i is 0 or 15 ? true : i == 19 ? null : false)).ToList();
        var r = PairedComparison.Compare("standard", standard, "safety", safe, seed: 5, resamples: 2000);
        Assert.Equal(19, r.Pairs);
        Assert.Equal(1, r.Excluded);
        Assert.Equal(12.0 / 19, r.FirstAsr, 12);
        Assert.Equal(2.0 / 19, r.SecondAsr, 12);
        Assert.Equal(10.0 / 19, r.Difference.Value, 12);
        Assert.True(r.Difference.Lower > 0 && r.Difference.Upper <= 1 && r.Difference.Contains(r.Difference.Value));
        Assert.Equal(11, r.McNemar.OnlyFirst);
        Assert.Equal(1, r.McNemar.OnlySecond);
        Assert.Equal(McNemar.Test(11, 1).ExactP, r.McNemar.ExactP);
        Assert.True(r.McNemar.ExactP < 0.01);
    }

    [Fact]
    public void Paired_comparison_refuses_different_prompt_sets()
    {
        var a = new[] { new AsrOutcome("p1", "s", true), new AsrOutcome("p2", "s", false) };
        var b = new[] { new AsrOutcome("p1", "s", true), new AsrOutcome("p3", "s", false) };
        var e = Assert.Throws<BadInputException>(() => PairedComparison.Compare("a", a, "b", b, seed: 1, resamples: 10));
        Assert.Contains("p2", e.Message);
    }

    [Fact]
    public void Seeded_random_is_uniform_enough_and_reproducible()
    {
        var rng = new SeededRandom(42L);
        var counts = new int[6];
        for (var i = 0; i < 60_000; i++) counts[rng.NextInt(6)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
        Assert.Equal(new SeededRandom(42L).NextUInt64(), new SeededRandom(42L).NextUInt64());
        Assert.NotEqual(SeededRandom.Derive(1, "HarmBench"), SeededRandom.Derive(1, "AdvBench"));
        Assert.Equal(SeededRandom.Permutation(10, 3), SeededRandom.Permutation(10, 3));
        Assert.Equal(Enumerable.Range(0, 10), SeededRandom.Permutation(10, 3).Order());
    }
}
