namespace SafetyNotebooks.Mixing;

/// <summary>
/// One named source of a mixture: its input files or folders (the <see cref="Data.InputFiles"/> rule), an optional
/// safety-score filter (inclusive; documents without a score pass only when no filter is set), and its weight: either a
/// <see cref="Share"/> of the phase's token budget, or a <see cref="Repeat"/> factor (×6 upsamples, 0.5 keeps a seeded
/// half; the fractional part is a seeded per-document draw).
/// </summary>
/// <param name="Score">The safety score written for this source's documents that have none (synthetic rewrites: 0), so
/// the tag stage sees a score on every row; null leaves them without one.</param>
public sealed record MixSource(string Name, IReadOnlyList<string> Inputs, double? Share = null, double? Repeat = null, int? MinScore = null, int? MaxScore = null, int? Score = null)
{
    /// <summary>True when a document with this score belongs to the source.</summary>
    public bool Admits(int? score) => (MinScore is null && MaxScore is null) || (score is { } s && s >= (MinScore ?? 0) && s <= (MaxScore ?? 5));
}

/// <summary>
/// One curriculum phase: it covers the training tokens from the previous phase's <see cref="Until"/> to its own
/// (fractions of the total budget; the last phase ends at 1). A phase weights its sources either all by shares
/// (summing to 1; the phase then needs a token budget) or all by repeat factors.
/// </summary>
public sealed record MixPhase(string Name, double Until, IReadOnlyList<MixSource> Sources)
{
    public bool ByShare => Sources.Any(s => s.Share is not null);
}

/// <summary>
/// A pretraining mixture (docs/paper.md §1.6 in the toolkit's terms): phases of named, weighted sources, the total token
/// budget of training, the seed of every draw and of the order, how tokens are counted, and rows per output file.
/// </summary>
/// <param name="Tokenizer">Folder with tokenizer.json whose token counts weigh the sources; null counts whitespace-separated words.</param>
public sealed record MixSpec(IReadOnlyList<MixPhase> Phases, long? BudgetTokens = null, long Seed = 0, string? Tokenizer = null, int RowsPerFile = 10_000)
{
    /// <summary>Reads a mixture YAML (see README "Mixing"); relative paths are taken from the file's folder.</summary>
    public static MixSpec Load(string path) => Parse(YamlConfig.Load(path), Path.GetDirectoryName(Path.GetFullPath(path))!);

    /// <summary>Parses a mixture mapping; relative inputs and tokenizer resolve against <paramref name="baseDir"/>.</summary>
    public static MixSpec Parse(YamlConfig y, string baseDir)
    {
        y.Only("seed", "budget_tokens", "tokenizer", "rows_per_file", "phases", "sources");
        if (y.Has("phases") == y.Has("sources")) throw new BadInputException("give either phases (a curriculum) or sources (one phase)", y.File, "phases");
        string Resolve(string p) => Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(baseDir, p));
        MixSource Source(YamlConfig s)
        {
            s.Only("name", "input", "share", "repeat", "min_score", "max_score", "score");
            var inputs = s.Strings("input");
            if (inputs.Count == 0) throw new BadInputException("missing", s.File, s.KeyPath("input"));
            return new MixSource(s.RequiredString("name"), inputs.Select(Resolve).ToList(), s.Number<double>("share"), s.Number<double>("repeat"),
                s.Number<int>("min_score"), s.Number<int>("max_score"), s.Number<int>("score"));
        }
        var phases = y.Has("sources")
            ? [new MixPhase("mix", 1.0, y.Maps("sources").Select(Source).ToList())]
            : y.Maps("phases").Select((p, i) =>
            {
                p.Only("name", "until", "sources");
                return new MixPhase(p.RequiredString("name"), p.Number<double>("until") ?? 1.0, p.Maps("sources").Select(Source).ToList());
            }).ToList();
        var spec = new MixSpec(phases, y.Number<long>("budget_tokens"), y.Number<long>("seed") ?? 0,
            y.String("tokenizer") is { } t ? Resolve(t) : null, y.Number<int>("rows_per_file") ?? 10_000);
        return spec.Validate(y.File);
    }

    /// <summary>Checks the invariants, naming the key that breaks one.</summary>
    public MixSpec Validate(string origin)
    {
        void Check(bool ok, string key, string what, object? value = null)
        {
            if (!ok) throw new BadInputException(what, origin, key, value is null ? null : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
        }
        Check(Phases.Count > 0, "phases", "at least one phase");
        Check(RowsPerFile >= 1, "rows_per_file", "must be at least 1", RowsPerFile);
        Check(BudgetTokens is null or > 0, "budget_tokens", "must be positive", BudgetTokens);
        Check(Phases.Select(p => p.Name).Distinct().Count() == Phases.Count, "phases", "phase names must differ");
        var previous = 0.0;
        for (var i = 0; i < Phases.Count; i++)
        {
            var p = Phases[i];
            var key = $"phases[{i}]";
            Check(SafeName(p.Name), $"{key}.name", "a plain name (letters, digits, - and _)", p.Name);
            Check(p.Until > previous && p.Until <= 1, $"{key}.until", $"must be in ({previous}, 1]", p.Until);
            Check(i < Phases.Count - 1 || p.Until == 1, $"{key}.until", "the last phase ends at 1", p.Until);
            Check(Phases.Count == 1 || BudgetTokens is not null, "budget_tokens", "phases need a token budget to place their boundaries");
            Check(p.Sources.Count > 0, $"{key}.sources", "at least one source");
            Check(p.Sources.Select(s => s.Name).Distinct().Count() == p.Sources.Count, $"{key}.sources", "source names must differ within a phase");
            for (var j = 0; j < p.Sources.Count; j++)
            {
                var s = p.Sources[j];
                var sk = $"{key}.sources[{j}]";
                Check((s.Share is null) != (s.Repeat is null), $"{sk}.share", "give exactly one of share or repeat");
                Check(s.Share is null or (> 0 and <= 1), $"{sk}.share", "must be in (0, 1]", s.Share);
                Check(s.Repeat is null or (> 0 and <= 1000), $"{sk}.repeat", "must be in (0, 1000]", s.Repeat);
                Check(s.MinScore is null or (>= 0 and <= 5), $"{sk}.min_score", "must be in 0..5", s.MinScore);
                Check(s.MaxScore is null or (>= 0 and <= 5), $"{sk}.max_score", "must be in 0..5", s.MaxScore);
                Check(s.Score is null or (>= 0 and <= 5), $"{sk}.score", "must be in 0..5", s.Score);
                Check((s.MinScore ?? 0) <= (s.MaxScore ?? 5), $"{sk}.max_score", "must be at least min_score", s.MaxScore);
                Check(p.Sources.All(o => o.Share is not null) || p.Sources.All(o => o.Repeat is not null), $"{sk}.share", "a phase weights all its sources by share or all by repeat");
            }
            if (p.ByShare)
            {
                Check(BudgetTokens is not null, "budget_tokens", "sources weighted by share need a token budget");
                Check(Math.Abs(p.Sources.Sum(s => s.Share!.Value) - 1) < 1e-9, $"{key}.sources", "shares must sum to 1", p.Sources.Sum(s => s.Share!.Value));
            }
            previous = p.Until;
        }
        return this;
    }

    /// <summary>The training tokens of phase <paramref name="index"/> (null without a budget).</summary>
    public long? PhaseTokens(int index) => BudgetTokens is not { } b ? null
        : (long)Math.Round(b * Phases[index].Until) - (index == 0 ? 0 : (long)Math.Round(b * Phases[index - 1].Until));

    static bool SafeName(string name) => name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
