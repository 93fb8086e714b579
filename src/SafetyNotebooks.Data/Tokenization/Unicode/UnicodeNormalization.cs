using System.Globalization;
using System.Text;

namespace SafetyNotebooks.Tokenization.Unicode;

/// <summary>
/// Unicode normalization forms NFC, NFD, NFKC and NFKD (UAX #15) from built-in tables. The library runs with
/// .NET's invariant globalization, where <see cref="string.Normalize()"/> leaves non-ASCII text unchanged, so Hugging
/// Face's normalizers cannot use it; nor would ICU be exact: Hugging Face's Rust tokenizers normalize with Unicode 9.0
/// tables, and ICU knows later characters. The tables (normalization-data.txt) are generated from Python's
/// unicodedata by make_normalization_data.py, restricted to code points of Unicode 9.0; Hangul syllables are
/// decomposed and composed algorithmically.
/// </summary>
public static class UnicodeNormalization
{
    public static string Normalize(string text, NormalizationForm form)
    {
        if (Ascii(text) || Stable(text, form)) return text;   // most text is already in the form
        return Full(text, form);
    }

    static string Full(string text, NormalizationForm form)
    {
        var compat = form is NormalizationForm.FormKC or NormalizationForm.FormKD;
        var decomposed = Decompose(text, compat);
        if (form is NormalizationForm.FormC or NormalizationForm.FormKC) decomposed = Compose(decomposed);
        var b = new StringBuilder(decomposed.Count);
        foreach (var cp in decomposed) b.Append(char.ConvertFromUtf32(cp));
        return b.ToString();
    }

    public static int CombiningClass(int cp) => Data.Value.Classes.GetValueOrDefault(cp);

    /// <summary>
    /// A sufficient test that <paramref name="text"/> is unchanged by <paramref name="form"/>: every code point is a
    /// starter (class 0) that no composition takes as its second part, and it is invariant under the form on its own
    /// (no decomposition; for NFC a primary composite, which recomposes to itself). Then nothing reorders or composes
    /// across code points.
    /// </summary>
    static bool Stable(string text, NormalizationForm form)
    {
        var stable = StableTable.Value[form switch { NormalizationForm.FormC => 0, NormalizationForm.FormD => 1, NormalizationForm.FormKC => 2, _ => 3 }];
        foreach (var rune in text.EnumerateRunes())
            if (!stable[rune.Value]) return false;
        return true;
    }

    /// <summary>Per form, per code point: stable in the sense of <see cref="Stable"/>.</summary>
    static readonly Lazy<System.Collections.BitArray[]> StableTable = new(BuildStableTable);

    static System.Collections.BitArray[] BuildStableTable()
    {
        var data = Data.Value;
        var seconds = data.Compositions.Keys.Select(k => k.Item2).ToHashSet();
        var tables = new System.Collections.BitArray[4];
        for (var f = 0; f < 4; f++)
        {
            var form = f switch { 0 => NormalizationForm.FormC, 1 => NormalizationForm.FormD, 2 => NormalizationForm.FormKC, _ => NormalizationForm.FormKD };
            var bits = new System.Collections.BitArray(0x110000, true);
            for (var cp = 0; cp < 0x110000; cp++)
            {
                if (data.Classes.ContainsKey(cp) || seconds.Contains(cp) || cp is >= LBase and < TBase + TCount) bits[cp] = false;   // marks, composables, jamo
                else if (cp is >= SBase and < SBase + SCount || data.Canonical.ContainsKey(cp) || data.Compatibility.ContainsKey(cp))
                    bits[cp] = Full(char.ConvertFromUtf32(cp), form) == char.ConvertFromUtf32(cp);
            }
            tables[f] = bits;
        }
        return tables;
    }

    static bool Ascii(string s)
    {
        foreach (var c in s) if (c > 0x7F) return false;
        return true;
    }

    const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    /// <summary>Full (recursive) decomposition followed by the canonical ordering of combining marks.</summary>
    static List<int> Decompose(string text, bool compat)
    {
        var data = Data.Value;
        var output = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes()) Add(rune.Value);
        // Canonical ordering: a stable sort of each run of non-starters by combining class.
        for (var i = 1; i < output.Count; i++)
        {
            var c = CombiningClass(output[i]);
            if (c == 0) continue;
            for (var j = i; j > 0 && CombiningClass(output[j - 1]) > c; j--) (output[j - 1], output[j]) = (output[j], output[j - 1]);
        }
        return output;

        void Add(int cp)
        {
            if (cp is >= SBase and < SBase + SCount)
            {
                var s = cp - SBase;
                output.Add(LBase + s / NCount);
                output.Add(VBase + s % NCount / TCount);
                if (s % TCount != 0) output.Add(TBase + s % TCount);
                return;
            }
            if ((compat && data.Compatibility.TryGetValue(cp, out var parts)) || data.Canonical.TryGetValue(cp, out parts))
                foreach (var p in parts) Add(p);
            else output.Add(cp);
        }
    }

    /// <summary>Canonical composition of a decomposed, ordered sequence (the algorithm of UAX #15's sample code).</summary>
    static List<int> Compose(List<int> d)
    {
        if (d.Count == 0) return d;
        var result = new List<int>(d.Count) { d[0] };
        var starterPos = 0;
        var lastClass = CombiningClass(d[0]) == 0 ? 0 : 256;
        for (var i = 1; i < d.Count; i++)
        {
            var ch = d[i];
            var chClass = CombiningClass(ch);
            if ((lastClass < chClass || lastClass == 0) && Pair(result[starterPos], ch) is { } composite)
            {
                result[starterPos] = composite;
                continue;
            }
            if (chClass == 0) starterPos = result.Count;
            lastClass = chClass;
            result.Add(ch);
        }
        return result;
    }

    static int? Pair(int a, int b)
    {
        if (a is >= LBase and < LBase + LCount && b is >= VBase and < VBase + VCount)
            return SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
        if (a is >= SBase and < SBase + SCount && (a - SBase) % TCount == 0 && b is > TBase and < TBase + TCount)
            return a + (b - TBase);
        return Data.Value.Compositions.TryGetValue((a, b), out var c) ? c : null;
    }

    sealed record Tables(Dictionary<int, int[]> Canonical, Dictionary<int, int[]> Compatibility, Dictionary<(int, int), int> Compositions, Dictionary<int, int> Classes);

    static readonly Lazy<Tables> Data = new(Load);

    static Tables Load()
    {
        using var stream = typeof(UnicodeNormalization).Assembly.GetManifestResourceStream("unicode/normalization-data.txt")
            ?? throw new InvalidOperationException("the embedded Unicode normalization table is missing");
        using var reader = new StreamReader(stream);
        var tables = new Tables([], [], [], []);
        static int Hex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var star = line.IndexOf('*');
            if (star > 0)
            {
                var range = line[..star].Split('-');
                var cls = int.Parse(line[(star + 1)..], CultureInfo.InvariantCulture);
                for (var cp = Hex(range[0]); cp <= Hex(range[^1]); cp++) tables.Classes[cp] = cls;
                continue;
            }
            var sep = line.IndexOfAny([':', '=', '~']);
            var code = Hex(line[..sep]);
            var parts = line[(sep + 1)..].Split(' ').Select(Hex).ToArray();
            if (line[sep] == '~') { tables.Compatibility[code] = parts; continue; }
            tables.Canonical[code] = parts;
            if (line[sep] == '=') tables.Compositions[(parts[0], parts[1])] = code;
        }
        return tables;
    }
}
