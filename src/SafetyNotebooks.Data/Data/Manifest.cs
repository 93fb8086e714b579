using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SafetyNotebooks.Data;

/// <summary>One file of a released repository; <see cref="Sha256"/> and <see cref="Bytes"/> where known.</summary>
public sealed record ManifestFile(string Path, string? Sha256 = null, long? Bytes = null);

/// <summary>A split of a config: its row count where known.</summary>
public sealed record ManifestSplit(string Name, long? Rows = null);

/// <summary>
/// A config of a dataset (a top-level folder on the Hub) or a file group of a model: the glob patterns of its files
/// (<c>score_4_refusal/**</c>), explicit files where known, and its splits.
/// </summary>
public sealed record ManifestConfig(string Name, IReadOnlyList<string> Include, IReadOnlyList<ManifestSplit>? Splits = null, IReadOnlyList<ManifestFile>? Files = null);

/// <summary>
/// What the toolkit knows about a released dataset or model (PAPER.md §4): repo id, pinned revision where known,
/// configs, splits, files, row schema, licence, row counts and checksums where known. Unknowns are null, never guessed.
/// </summary>
public sealed record Manifest(
    string Name, string RepoId, string Kind, string? Revision, string? License, string Description,
    string? Schema, IReadOnlyList<ManifestConfig> Configs, long? Rows = null, string? Notes = null)
{
    public const string DatasetKind = "dataset";
    public const string ModelKind = "model";

    /// <summary>The revision to download: the pinned one, else <c>main</c>.</summary>
    public string EffectiveRevision => Revision ?? "main";

    /// <summary>The config called <paramref name="name"/>; bad input listing the configs otherwise.</summary>
    public ManifestConfig Config(string name) => Configs.FirstOrDefault(c => c.Name == name)
        ?? throw new BadInputException($"{RepoId} has no config '{name}' (configs: {string.Join(", ", Configs.Select(c => c.Name))})", "--config", value: name);
}

/// <summary>The manifests shipped in data-manifests/ (embedded in the library) and their JSON Schema.</summary>
public static class Manifests
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    /// <summary>Every shipped manifest, by short name.</summary>
    public static IReadOnlyList<Manifest> All { get; } = LoadEmbedded();

    /// <summary>The JSON Schema every manifest passes (data-manifests/manifest.schema.json).</summary>
    public static string SchemaText => ReadResource("manifest.schema.json") ?? throw new InvalidOperationException("manifest schema not embedded");

    /// <summary>Finds a manifest by repo id (<c>locuslab/refuseweb</c>) or short name (<c>refuseweb</c>), case-insensitively.</summary>
    public static Manifest Find(string name) =>
        All.FirstOrDefault(m => string.Equals(m.RepoId, name, StringComparison.OrdinalIgnoreCase) || string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new BadInputException($"unknown dataset or model (known: {string.Join(", ", All.Select(m => m.Name))})", "NAME", value: name);

    /// <summary>Parses one manifest.</summary>
    public static Manifest Parse(string json, string origin) =>
        JsonSerializer.Deserialize<Manifest>(json, Json) ?? throw new BadInputException("empty manifest", origin);

    static IReadOnlyList<Manifest> LoadEmbedded()
    {
        var asm = typeof(Manifests).Assembly;
        return asm.GetManifestResourceNames()
            .Where(n => n.StartsWith("data-manifests/", StringComparison.Ordinal) && n.EndsWith(".json") && !n.EndsWith(".schema.json"))
            .Order(StringComparer.Ordinal)
            .Select(n => Parse(ReadResource(n["data-manifests/".Length..])!, n))
            .ToList();
    }

    static string? ReadResource(string file)
    {
        using var s = typeof(Manifests).Assembly.GetManifestResourceStream("data-manifests/" + file);
        if (s is null) return null;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
