namespace SafetyNotebooks.Evaluation;

/// <summary>Two systems on the same prompts: ASR of each, the difference (first − second) with a paired-bootstrap CI, and McNemar.</summary>
public sealed record PairedComparisonResult(
    string First, string Second, int Pairs, int Excluded,
    double FirstAsr, double SecondAsr, Estimate Difference, McNemarResult McNemar);

/// <summary>
/// Compares two systems (say, a standard and a safety-pretrained model, or greedy vs Safe Beam) on the same prompts.
/// Pairs are matched by prompt id; a pair where either judgement is unparseable is excluded and counted. The bootstrap
/// resamples prompts, keeping both outcomes of a prompt together, so the interval reflects the pairing.
/// </summary>
public static class PairedComparison
{
    public static PairedComparisonResult Compare(
        string firstName, IEnumerable<AsrOutcome> first, string secondName, IEnumerable<AsrOutcome> second,
        long seed, int resamples = Bootstrap.DefaultResamples, double level = 0.95)
    {
        var a = UniqueById(first, firstName);
        var b = UniqueById(second, secondName);
        var missing = a.Keys.Except(b.Keys, StringComparer.Ordinal).Concat(b.Keys.Except(a.Keys, StringComparer.Ordinal)).FirstOrDefault();
        if (missing is not null)
            throw new BadInputException("prompt ids differ between the two systems; a paired comparison needs the same prompts", $"{firstName} vs {secondName}", "id", missing);

        var pairs = new List<(bool A, bool B)>();
        var excluded = 0;
        foreach (var id in a.Keys.Order(StringComparer.Ordinal))
        {
            if (a[id].Harmful is bool x && b[id].Harmful is bool y) pairs.Add((x, y));
            else excluded++;
        }

        var diff = Bootstrap.Percentile(pairs, static (p, idx) =>
        {
            if (idx.Count == 0) return double.NaN;
            var d = 0;
            foreach (var i in idx) d += (p[i].A ? 1 : 0) - (p[i].B ? 1 : 0);
            return (double)d / idx.Count;
        }, seed, resamples, level);
        var mcnemar = McNemar.Test(pairs.Select(p => p.A).ToList(), pairs.Select(p => p.B).ToList());
        double Rate(Func<(bool A, bool B), bool> f) => pairs.Count == 0 ? double.NaN : (double)pairs.Count(f) / pairs.Count;
        return new PairedComparisonResult(firstName, secondName, pairs.Count, excluded, Rate(p => p.A), Rate(p => p.B), diff, mcnemar);
    }

    static Dictionary<string, AsrOutcome> UniqueById(IEnumerable<AsrOutcome> outcomes, string system)
    {
        var map = new Dictionary<string, AsrOutcome>(StringComparer.Ordinal);
        foreach (var o in outcomes)
            if (!map.TryAdd(o.Id, o))
                throw new BadInputException("duplicate prompt id", system, "id", o.Id);
        return map;
    }
}
