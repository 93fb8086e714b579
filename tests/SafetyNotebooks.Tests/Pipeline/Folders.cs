namespace SafetyNotebooks.Tests.Pipeline;

/// <summary>Byte-level comparison of output folders (hidden state folders such as .safetynb-job and .parts left out).</summary>
public static class Folders
{
    public static SortedDictionary<string, byte[]> Files(string dir, params string[] extensions) =>
        new(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(dir, f).Split(Path.DirectorySeparatorChar).Any(p => p.StartsWith('.')))
            .Where(f => extensions.Length == 0 || extensions.Any(e => f.EndsWith(e, StringComparison.Ordinal)))
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes), StringComparer.Ordinal);

    public static void AssertSame(string expectedDir, string actualDir, params string[] extensions)
    {
        var expected = Files(expectedDir, extensions);
        var actual = Files(actualDir, extensions);
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (k, v) in expected) Assert.True(v.AsSpan().SequenceEqual(actual[k]), $"{k} differs between {expectedDir} and {actualDir}");
    }
}
