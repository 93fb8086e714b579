namespace SafetyNotebooks.Evaluation;

/// <summary>
/// Percentile bootstrap over independent units (prompts, benchmark items). The paper reports single numbers without
/// error bars; these intervals say how much of a gap between two settings the number of prompts can resolve.
/// </summary>
public static class Bootstrap
{
    public const int DefaultResamples = 10_000;

    /// <summary>
    /// Confidence interval of a statistic of the units: resample n units with replacement <paramref name="resamples"/>
    /// times (seeded), evaluate <paramref name="statistic"/> on each resample's index list, take the percentiles.
    /// </summary>
    public static Estimate Percentile<T>(IReadOnlyList<T> units, Func<IReadOnlyList<T>, IReadOnlyList<int>, double> statistic,
        long seed, int resamples = DefaultResamples, double level = 0.95)
    {
        Validate(resamples, level);
        var all = Enumerable.Range(0, units.Count).ToArray();
        var point = statistic(units, all);
        if (units.Count == 0) return new Estimate(point, double.NaN, double.NaN, level);
        var rng = new SeededRandom(seed);
        var stats = new double[resamples];
        var idx = new int[units.Count];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < idx.Length; i++) idx[i] = rng.NextInt(units.Count);
            stats[r] = statistic(units, idx);
        }
        return Interval(point, stats, level);
    }

    /// <summary>Confidence interval of a proportion (share of true values), the statistic of ASR and accuracy.</summary>
    public static Estimate Proportion(IReadOnlyList<bool> outcomes, long seed, int resamples = DefaultResamples, double level = 0.95)
    {
        Validate(resamples, level);
        var n = outcomes.Count;
        if (n == 0) return new Estimate(double.NaN, double.NaN, double.NaN, level);
        var hits = outcomes.Count(o => o);
        var rng = new SeededRandom(seed);
        var stats = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            var k = 0;
            for (var i = 0; i < n; i++) if (outcomes[rng.NextInt(n)]) k++;
            stats[r] = (double)k / n;
        }
        return Interval((double)hits / n, stats, level);
    }

    /// <summary>Linear-interpolation quantile (type 7, numpy's default) of sorted values.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        var h = (sorted.Length - 1) * q;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    static Estimate Interval(double point, double[] stats, double level)
    {
        Array.Sort(stats);
        var alpha = (1 - level) / 2;
        return new Estimate(point, Quantile(stats, alpha), Quantile(stats, 1 - alpha), level);
    }

    static void Validate(int resamples, double level)
    {
        Bounds.Within(resamples, 1, Bounds.MaxResamples, "--resamples");
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "must be in (0, 1)");
    }
}
