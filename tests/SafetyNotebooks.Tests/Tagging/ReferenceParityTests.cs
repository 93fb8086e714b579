using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SafetyNotebooks.Tagging;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Tagging;

/// <summary>Runs bench/reference/tag_reference.py, the plain-Python statement of the semantics, as a subprocess.</summary>
public static class PythonReference
{
    public static readonly string? Python3 = Find("python3");

    static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    public static string Script => Path.Combine(TestDirs.RepoRoot(), "bench", "reference", "tag_reference.py");

    /// <summary>Writes the documents as JSON Lines, runs the reference and returns its (text, tag_count) per line.</summary>
    public static List<(string Text, int TagCount)> Tag(IEnumerable<(string Id, string Text, int Score)> docs, TagOptions o)
    {
        var dir = TestDirs.Fresh();
        var input = Path.Combine(dir, "in.jsonl");
        var output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, docs.Select(d => JsonSerializer.Serialize(new { id = d.Id, text = d.Text, safety_score = d.Score })), new UTF8Encoding(false));
        var psi = new ProcessStartInfo(Python3!)
        {
            ArgumentList = { Script, "--input", input, "--output", output, "--rate", o.Rate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                "--seed", o.Seed.ToString(), "--min-score", o.MinScore.ToString(), "--tag", o.Tag },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"tag_reference.py failed: {err}");
        var result = File.ReadLines(output, Encoding.UTF8).Select(line =>
        {
            var node = JsonNode.Parse(line)!;
            return (node["text"]!.GetValue<string>(), node["tag_count"]!.GetValue<int>());
        }).ToList();
        Directory.Delete(dir, true);
        return result;
    }
}

/// <summary>A fact that is skipped, with the reason shown, when python3 is not on PATH.</summary>
public sealed class Python3FactAttribute : FactAttribute
{
    public Python3FactAttribute()
    {
        if (PythonReference.Python3 is null) Skip = "python3 is not on PATH: the byte-identity check against bench/reference/tag_reference.py cannot run";
    }
}

public class ReferenceParityTests
{
    [Python3Fact]
    public void CSharp_and_python_reference_give_byte_identical_output_on_a_mixed_corpus()
    {
        var corpus = TaggingTexts.Corpus(500, seed: 11);
        foreach (var options in new[] { new TagOptions(), new TagOptions(Rate: 0.3, Seed: 123456789012345UL, MinScore: 3, Tag: "<t ü>") })
        {
            var plan = TagPlan.From(options);
            var python = PythonReference.Tag(corpus, options);
            Assert.Equal(corpus.Count, python.Count);
            for (var i = 0; i < corpus.Count; i++)
            {
                var d = corpus[i];
                var ours = HarmfulnessTagger.TagDocument(d.Text, d.Id, d.Score, plan);
                Assert.True(Encoding.UTF8.GetBytes(ours.Text).AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(python[i].Text)), $"document {d.Id} differs");
                Assert.Equal(python[i].TagCount, ours.TagCount);
            }
            Assert.True(python.Sum(p => p.TagCount) > 50);
        }
    }
}
