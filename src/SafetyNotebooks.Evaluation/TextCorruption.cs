namespace SafetyNotebooks.Evaluation;

/// <summary>
/// Seeded corruptions of text the way a small model garbles what it memorised: typos (a letter dropped, doubled or
/// replaced), a repeated word span, truncation, and two word spans swapped. Used to build held-out positives for the
/// step judge's calibration and noisy fragments for the classifier judge's training.
/// </summary>
public static class TextCorruption
{
    public enum Kind { None, Typos, Repeat, Truncate, Reorder, TyposAndTruncate }

    public static string Apply(string text, Kind kind, SeededRandom rng) => kind switch
    {
        Kind.None => text,
        Kind.Typos => Typos(text, 0.2, rng),
        Kind.Repeat => Repeat(text, rng),
        Kind.Truncate => Truncate(text, rng),
        Kind.Reorder => Reorder(text, rng),
        _ => Typos(Truncate(text, rng), 0.2, rng),
    };

    /// <summary>Each word of three or more letters gets one typo with probability <paramref name="rate"/>.</summary>
    public static string Typos(string text, double rate, SeededRandom rng)
    {
        var words = text.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            var w = words[i];
            if (w.Length < 3 || rng.NextInt(1000) >= rate * 1000) continue;
            var p = 1 + rng.NextInt(w.Length - 1);
            words[i] = rng.NextInt(3) switch
            {
                0 => w.Remove(p, 1),
                1 => w.Insert(p, w[p].ToString()),
                _ => w[..p] + (char)('a' + rng.NextInt(26)) + w[(p + 1)..],
            };
        }
        return string.Join(' ', words);
    }

    /// <summary>A span of 1–4 words repeated in place ("Boil it down Boil it down …").</summary>
    public static string Repeat(string text, SeededRandom rng)
    {
        var words = text.Split(' ').ToList();
        var len = Math.Min(words.Count, 1 + rng.NextInt(4));
        var start = rng.NextInt(words.Count - len + 1);
        words.InsertRange(start + len, words.GetRange(start, len));
        return string.Join(' ', words);
    }

    /// <summary>The first 60–100 % of the words (a completion cut by the token budget).</summary>
    public static string Truncate(string text, SeededRandom rng)
    {
        var words = text.Split(' ');
        var keep = Math.Max(1, (int)Math.Ceiling(words.Length * (0.6 + 0.4 * rng.NextInt(1000) / 1000.0)));
        return string.Join(' ', words.Take(keep));
    }

    /// <summary>The text cut at two points into three word spans, the last two swapped.</summary>
    public static string Reorder(string text, SeededRandom rng)
    {
        var words = text.Split(' ');
        if (words.Length < 3) return text;
        var a = 1 + rng.NextInt(words.Length - 2);
        var b = a + 1 + rng.NextInt(words.Length - a - 1);
        return string.Join(' ', words[..a].Concat(words[b..]).Concat(words[a..b]));
    }
}
