namespace SafetyNotebooks.Evaluation;

/// <summary>A point estimate with a two-sided confidence interval.</summary>
public sealed record Estimate(double Value, double Lower, double Upper, double Level)
{
    public bool Contains(double x) => Lower <= x && x <= Upper;

    public override string ToString() =>
        FormattableString.Invariant($"{Value:0.###} [{Lower:0.###}, {Upper:0.###}]");
}
