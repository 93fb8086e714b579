using System.Text;

namespace SafetyNotebooks.Tagging;

/// <summary>
/// Parameters of harmfulness tagging (PAPER.md §1.5, issue 4). <paramref name="Rate"/> is p of Algorithm 1;
/// documents whose safety score is below <paramref name="MinScore"/> are copied untouched.
/// </summary>
public sealed record TagOptions(
    double Rate = TagOptions.DefaultRate,
    ulong Seed = TagOptions.DefaultSeed,
    int MinScore = TagOptions.DefaultMinScore,
    string Tag = TagOptions.DefaultTag)
{
    /// <summary>The harmfulness tag of the paper (§1.5): the one definition of its text (tokenizers, plans and experiments use this).</summary>
    public const string DefaultTag = "<potentially_unsafe_content>";
    public const double DefaultRate = 0.05;
    public const ulong DefaultSeed = 42;
    public const int DefaultMinScore = 1;

    /// <summary>Throws <see cref="BadInputException"/> naming the option when a value is out of range.</summary>
    public TagOptions Validated()
    {
        if (!(Rate >= 0 && Rate <= 1))
            throw new BadInputException("must be between 0 and 1", "--rate", value: Rate.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (string.IsNullOrEmpty(Tag))
            throw new BadInputException("must not be empty", "--tag", value: Tag);
        return this;
    }
}

/// <summary>The options compiled for the hot loop: tag bytes with their trailing space, and an integer draw threshold.</summary>
public sealed record TagPlan(byte[] TagWithSpace, ulong Threshold, ulong Seed, int MinScore, double Rate)
{
    public static TagPlan From(TagOptions options)
    {
        var o = options.Validated();
        return new TagPlan(Encoding.UTF8.GetBytes(o.Tag + " "), SplitMix64.Threshold53(o.Rate), o.Seed, o.MinScore, o.Rate);
    }

    public bool Applies(int score) => score >= MinScore;
}
