using System.Text;
using SafetyNotebooks.Tokenization.Unicode;

namespace SafetyNotebooks.Bench;

/// <summary>
/// The embedded Unicode normalization tables against .NET's ICU normalization (<see cref="string.Normalize(NormalizationForm)"/>):
/// agreement on every code point and on web-like text, and speed. ICU is only used when the process runs without
/// invariant globalization: run it as <c>dotnet exec --runtimeconfig icu.runtimeconfig.json SafetyNotebooks.Bench.dll
/// normalization</c> with System.Globalization.Invariant set to false. Args: [megabytes=2].
/// </summary>
public static class NormalizationBench
{
    public static int Run(string[] args)
    {
        var icu = "e\u0301".Normalize(NormalizationForm.FormC) == "é";
        if (!icu) { Console.WriteLine("ICU normalization is not available (invariant globalization): nothing to compare"); return 2; }
        var megabytes = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2;
        var texts = TokenizerBench.WebLikeText((long)(megabytes * 1_000_000), seed: 24);
        var mb = texts.Sum(t => (long)Encoding.UTF8.GetByteCount(t)) / 1e6;
        foreach (var form in new[] { NormalizationForm.FormC, NormalizationForm.FormD, NormalizationForm.FormKC, NormalizationForm.FormKD })
        {
            var differing = new List<int>();
            for (var cp = 0; cp <= 0x10FFFF; cp++)
            {
                if (cp is >= 0xD800 and <= 0xDFFF) continue;
                var s = char.ConvertFromUtf32(cp);
                string viaIcu;
                try { viaIcu = s.Normalize(form); } catch (ArgumentException) { continue; }
                if (UnicodeNormalization.Normalize(s, form) != viaIcu) differing.Add(cp);
            }
            var textsDiffer = texts.Count(t => UnicodeNormalization.Normalize(t, form) != t.Normalize(form));
            var tables = Harness.Median(() => { foreach (var t in texts) UnicodeNormalization.Normalize(t, form); }, 5);
            var viaIcuTime = Harness.Median(() => { foreach (var t in texts) t.Normalize(form); }, 5);
            Console.WriteLine($"{form}: {differing.Count} code points differ ({string.Join(" ", differing.Take(12).Select(c => $"U+{c:X4}"))}{(differing.Count > 12 ? " …" : "")}); documents differing {textsDiffer}/{texts.Count}");
            Harness.Row($"{form}: embedded tables [baseline]", mb / tables.TotalSeconds, "MB/s", 1.0);
            Harness.Row($"{form}: ICU string.Normalize", mb / viaIcuTime.TotalSeconds, "MB/s", tables.TotalSeconds / viaIcuTime.TotalSeconds);
        }
        return 0;
    }
}
