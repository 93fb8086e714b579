namespace SafetyNotebooks.Evaluation;

/// <summary>McNemar's test on paired binary outcomes, from the discordant counts.</summary>
public sealed record McNemarResult(int OnlyFirst, int OnlySecond, double ExactP, double MidP);

/// <summary>
/// McNemar's test for two systems judged on the same prompts. Only discordant pairs carry information: under the null
/// hypothesis of equal ASR, the prompts harmful for exactly one system split Binomial(b + c, 1/2). The exact conditional
/// p-value is conservative; the mid-p variant (Fagerland, Lydersen and Laake, 2013) keeps close to the nominal level.
/// </summary>
public static class McNemar
{
    /// <param name="onlyFirst">b: pairs where only the first system succeeded (e.g. was judged harmful).</param>
    /// <param name="onlySecond">c: pairs where only the second system succeeded.</param>
    public static McNemarResult Test(int onlyFirst, int onlySecond)
    {
        if (onlyFirst < 0 || onlySecond < 0) throw new ArgumentOutOfRangeException(nameof(onlyFirst), "counts must be non-negative");
        var n = onlyFirst + onlySecond;
        if (n == 0) return new McNemarResult(0, 0, 1.0, 1.0);
        var k = Math.Min(onlyFirst, onlySecond);
        var tail = BinomialHalfCdf(n, k);
        var atK = Math.Exp(LogBinomialHalfPmf(n, k));
        return new McNemarResult(onlyFirst, onlySecond, Math.Min(1.0, 2 * tail), Math.Min(1.0, 2 * (tail - 0.5 * atK)));
    }

    /// <summary>McNemar's test on paired outcomes (index i of both lists is the same prompt).</summary>
    public static McNemarResult Test(IReadOnlyList<bool> first, IReadOnlyList<bool> second)
    {
        if (first.Count != second.Count) throw new ArgumentException($"paired outcomes differ in length ({first.Count} vs {second.Count})");
        int b = 0, c = 0;
        for (var i = 0; i < first.Count; i++)
        {
            if (first[i] && !second[i]) b++;
            else if (!first[i] && second[i]) c++;
        }
        return Test(b, c);
    }

    // P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so that large n does not underflow 0.5^n.
    static double BinomialHalfCdf(int n, int k)
    {
        var logs = Enumerable.Range(0, k + 1).Select(i => LogBinomialHalfPmf(n, i)).ToArray();
        var max = logs.Max();
        return Math.Min(1.0, Math.Exp(max) * logs.Sum(l => Math.Exp(l - max)));
    }

    static double LogBinomialHalfPmf(int n, int k)
    {
        // log C(n, k) = sum_{i=1..k} log((n - k + i) / i)
        var logChoose = 0.0;
        for (var i = 1; i <= k; i++) logChoose += Math.Log((double)(n - k + i) / i);
        return logChoose + n * Math.Log(0.5);
    }
}
