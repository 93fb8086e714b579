using System.Text;
using System.Text.Json.Nodes;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Tokenization;

/// <summary>
/// The embedded normalization tables against the Rust library on every code point (each alone, and in runs where
/// marks meet their neighbours), through a byte-alphabet tokenizer whose only work is the normalizer: its ids are the
/// UTF-8 bytes of the normalized text. The Rust library's tables are those of Unicode 9.0 (later code points are
/// unassigned there), which the embedded tables follow; .NET's ICU (Unicode 15 here) differs on every later character
/// with a decomposition or a combining class, so it cannot replace them (bench/normalization measures both).
/// </summary>
public sealed class NormalizationParityTests
{
    [Theory]
    [InlineData("NFC")]
    [InlineData("NFD")]
    [InlineData("NFKC")]
    [InlineData("NFKD")]
    public void Every_code_point_normalizes_as_in_the_rust_library(string form)
    {
        var json = ByteLevelTokenizer.TokenizerJson();
        json["normalizer"] = new JsonObject { ["type"] = form };
        json["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false };
        var dir = Foundation.TestDirs.Fresh();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
        var ours = HfTokenizer.Load(dir);
        using var rust = new Tokenizers.DotNet.Tokenizer(Path.Combine(dir, "tokenizer.json"));
        var differing = new List<string>();
        foreach (var (alone, run) in Chunks())
            foreach (var text in new[] { alone, run })
                if (rust.Encode(text).Select(i => (int)i).ToArray() is var expected && !expected.SequenceEqual(ours.Encode(text)))
                    differing.Add(FirstDifference(ours.Decode(ours.Encode(text)), ours.Decode(expected)));
        Assert.True(differing.Count == 0, $"{differing.Count} chunks differ, first: {string.Join("; ", differing.Take(5))}");

        // Each code point alone, then runs of those the form leaves unchanged (the quick-check path of the tables).
        var unchanged = new StringBuilder();
        for (var cp = 0x20; cp < 0x30000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            var s = char.ConvertFromUtf32(cp);
            var expected = rust.Encode(s);
            if (!expected.Select(i => (int)i).SequenceEqual(ours.Encode(s))) differing.Add($"U+{cp:X4} alone");
            else if (ours.Decode(ours.Encode(s)) == s) unchanged.Append(s);
        }
        var all = unchanged.ToString();
        for (var at = 0; at < all.Length; at += 512)
        {
            var chunk = all.Substring(at, Math.Min(512, all.Length - at));
            if (char.IsLowSurrogate(chunk[0]) || char.IsHighSurrogate(chunk[^1])) continue;
            if (!rust.Encode(chunk).Select(i => (int)i).SequenceEqual(ours.Encode(chunk))) differing.Add($"run at {at}");
        }
        Assert.True(differing.Count == 0, $"{differing.Count} differ, first: {string.Join("; ", differing.Take(8))}");
    }

    static string FirstDifference(string ours, string rust)
    {
        var i = 0;
        while (i < ours.Length && i < rust.Length && ours[i] == rust[i]) i++;
        static string Hex(string s) => string.Join(" ", s.EnumerateRunes().Take(6).Select(r => $"U+{r.Value:X4}"));
        var from = Math.Max(0, i - 2);
        return $"ours {Hex(ours[Math.Min(from, ours.Length)..])} / rust {Hex(rust[Math.Min(from, rust.Length)..])}";
    }

    /// <summary>Code points 0x20–0x10FFFF (no surrogates, no noncharacter planes 4–13) in chunks of 256: space-separated and adjacent.</summary>
    static IEnumerable<(string Alone, string Run)> Chunks()
    {
        var alone = new StringBuilder(); var run = new StringBuilder();
        var count = 0;
        for (var cp = 0x20; cp <= 0x10FFFF; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF || cp is >= 0x40000 and < 0xE0000) continue;
            var s = char.ConvertFromUtf32(cp);
            alone.Append(s).Append(' ');
            run.Append(s);
            if (++count % 256 == 0) { yield return (alone.ToString(), run.ToString()); alone.Clear(); run.Clear(); }
        }
        if (alone.Length > 0) yield return (alone.ToString(), run.ToString());
    }
}
