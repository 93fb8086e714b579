namespace SafetyNotebooks.Tests;

/// <summary>Reference computations written independently of the library, for asserts that check values.</summary>
public static class Independent
{
    /// <summary>Macro F1 over the 6 safety classes of a confusion matrix (rows truth, columns prediction); a class with no support and no predictions scores 0.</summary>
    public static double MacroF1(IEnumerable<IEnumerable<long>> confusion)
    {
        var m = confusion.Select(r => r.ToArray()).ToArray();
        Assert.Equal(6, m.Length);
        return Enumerable.Range(0, 6).Average(c =>
        {
            var tp = m[c][c];
            var fn = m[c].Sum() - tp;
            var fp = m.Sum(r => r[c]) - tp;
            return 2 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
        });
    }
}
