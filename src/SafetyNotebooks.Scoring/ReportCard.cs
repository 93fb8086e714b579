using System.Text.RegularExpressions;
using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Scoring;

/// <summary>One harmful-query category with its short queries (PAPER.md §1.1, "Data Safety Report Card").</summary>
public sealed record QueryCategory(string Name, IReadOnlyList<string> Queries);

/// <summary>How often a category's queries occur in one slice of a corpus, per million whitespace tokens.</summary>
public sealed record QueryFrequency(string Category, string Slice, long Hits, long Tokens)
{
    public double PerMillionTokens => Tokens == 0 ? 0 : Hits * 1e6 / Tokens;
}

/// <summary>
/// The paper's report card counts ≈50 two/three-word harmful queries per category with Infini-gram. At toy scale an
/// exact in-memory count does the same job: case-insensitive whole-word matches of every query in every text.
/// </summary>
public static class ReportCard
{
    /// <summary>Categories of the paper's taxonomy that the toy world exercises, with queries drawn from its lexicon.</summary>
    public static IReadOnlyList<QueryCategory> ToyCategories { get; } =
    [
        new("Violent Crimes", ["ambush", "burn", "raiders", "hang"]),
        new("Non-Violent Crimes", ["smuggling", "smuggler", "bribes", "forged"]),
        new("Indiscriminate Weapons", [.. ToyLexicon.Poisons.Select(p => p.Name), "poison the"]),
        new("Hate", ["vermin", "drive them out"]),
        new("Specialized Advice", ["cure", "dose"]),
        new("Profanity (toy)", ["damn", "hell"]),
    ];

    static readonly Dictionary<string, Regex> Patterns = new();

    static Regex Pattern(string query)
    {
        lock (Patterns)
        {
            if (!Patterns.TryGetValue(query, out var r))
                Patterns[query] = r = new Regex($@"\b{Regex.Escape(query)}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);
            return r;
        }
    }

    public static long CountTokens(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).LongLength;

    /// <summary>Hits of one category's queries in <paramref name="text"/>.</summary>
    public static long Hits(QueryCategory category, string text) => category.Queries.Sum(q => (long)Pattern(q).Matches(text).Count);

    /// <summary>Frequencies of every category in every slice (slices are given as (name, texts)).</summary>
    public static IReadOnlyList<QueryFrequency> Frequencies(IEnumerable<(string Slice, IReadOnlyList<string> Texts)> slices, IReadOnlyList<QueryCategory> categories) =>
        slices.SelectMany(s =>
        {
            var tokens = s.Texts.Sum(CountTokens);
            return categories.Select(c => new QueryFrequency(c.Name, s.Slice, s.Texts.Sum(t => Hits(c, t)), tokens));
        }).ToList();

    /// <summary>Counts of scores 0..5.</summary>
    public static long[] Histogram(IEnumerable<int> scores)
    {
        var h = new long[6];
        foreach (var s in scores) h[s is >= 0 and <= 5 ? s : throw new ArgumentOutOfRangeException(nameof(scores), $"score {s} is not 0..5")]++;
        return h;
    }
}
