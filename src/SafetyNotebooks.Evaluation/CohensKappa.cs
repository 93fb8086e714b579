namespace SafetyNotebooks.Evaluation;

/// <summary>
/// Cohen's κ of two judges' binary verdicts on the same items: (observed agreement − chance agreement) /
/// (1 − chance agreement), chance from each judge's own harmful rate. 1 = always agree, 0 = no better than chance.
/// When both judges give one and the same verdict on every item, chance agreement is 1 and κ is defined as 1.
/// </summary>
public static class CohensKappa
{
    public static double Of(IReadOnlyList<bool> a, IReadOnlyList<bool> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"verdict lists differ in length ({a.Count} vs {b.Count})");
        if (a.Count == 0) return double.NaN;
        double n = a.Count;
        var observed = a.Zip(b).Count(p => p.First == p.Second) / n;
        var pa = a.Count(x => x) / n;
        var pb = b.Count(x => x) / n;
        var chance = pa * pb + (1 - pa) * (1 - pb);
        return chance >= 1 ? 1.0 : (observed - chance) / (1 - chance);
    }
}
