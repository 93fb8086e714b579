using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace SafetyNotebooks;

/// <summary>
/// A read-only view of one YAML mapping of a config file, for strict parsing: every lookup knows its dotted key path
/// (<c>phases[1].sources[0].share</c>), unknown keys and values of the wrong type are <see cref="BadInputException"/>s
/// naming the file and that path.
/// </summary>
public sealed class YamlConfig
{
    readonly Dictionary<string, YamlNode> entries;
    public string File { get; }
    public string Path { get; }

    YamlConfig(Dictionary<string, YamlNode> entries, string file, string path)
    {
        this.entries = entries;
        File = file;
        Path = path;
    }

    /// <summary>Loads the top-level mapping of <paramref name="file"/>.</summary>
    public static YamlConfig Load(string file)
    {
        if (!System.IO.File.Exists(file)) throw new BadInputException("file not found", file);
        return Parse(System.IO.File.ReadAllText(file), file);
    }

    /// <summary>Parses YAML text whose root is a mapping.</summary>
    public static YamlConfig Parse(string text, string origin)
    {
        var yaml = new YamlStream();
        try { yaml.Load(new StringReader(text)); }
        catch (YamlDotNet.Core.YamlException e) { throw new BadInputException($"not valid YAML: {e.Message}", origin); }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root) throw new BadInputException("expected a mapping of keys", origin);
        return Of(root, origin, "");
    }

    static YamlConfig Of(YamlMappingNode node, string file, string path)
    {
        var d = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (k, v) in node.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? throw new BadInputException("keys must be plain names", file, path);
            if (!d.TryAdd(key, v)) throw new BadInputException("key given twice", file, Key(path, key));
        }
        return new YamlConfig(d, file, path);
    }

    static string Key(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>The dotted path of <paramref name="key"/> in this mapping.</summary>
    public string KeyPath(string key) => Key(Path, key);

    /// <summary>Refuses keys outside <paramref name="allowed"/>, naming the first unknown one.</summary>
    public YamlConfig Only(params string[] allowed)
    {
        foreach (var k in entries.Keys)
            if (!allowed.Contains(k)) throw new BadInputException($"unknown key (allowed: {string.Join(", ", allowed)})", File, KeyPath(k));
        return this;
    }

    public bool Has(string key) => entries.ContainsKey(key);

    public IEnumerable<string> Keys => entries.Keys;

    public string? String(string key) => entries.TryGetValue(key, out var n)
        ? n is YamlScalarNode s ? s.Value : throw new BadInputException("expected a single value", File, KeyPath(key))
        : null;

    public string RequiredString(string key) => String(key) is { Length: > 0 } s ? s : throw new BadInputException("missing", File, KeyPath(key));

    public T? Number<T>(string key) where T : struct, IParsable<T> =>
        String(key) is { } s ? T.TryParse(s, CultureInfo.InvariantCulture, out var v) ? v : throw new BadInputException($"expected a number", File, KeyPath(key), s) : null;

    public bool? Bool(string key) =>
        String(key) is { } s ? bool.TryParse(s, out var b) ? b : throw new BadInputException("expected true or false", File, KeyPath(key), s) : null;

    /// <summary>A scalar or a list of scalars, as a list.</summary>
    public IReadOnlyList<string> Strings(string key)
    {
        if (!entries.TryGetValue(key, out var n)) return [];
        if (n is YamlScalarNode s) return [s.Value ?? ""];
        if (n is YamlSequenceNode seq)
            return seq.Children.Select((c, i) => (c as YamlScalarNode)?.Value ?? throw new BadInputException("expected a single value", File, $"{KeyPath(key)}[{i}]")).ToList();
        throw new BadInputException("expected a value or a list of values", File, KeyPath(key));
    }

    public YamlConfig? Map(string key) => entries.TryGetValue(key, out var n)
        ? n is YamlMappingNode m ? Of(m, File, KeyPath(key)) : throw new BadInputException("expected a mapping", File, KeyPath(key))
        : null;

    /// <summary>A list of mappings (<c>stages:</c>, <c>sources:</c>).</summary>
    public IReadOnlyList<YamlConfig> Maps(string key)
    {
        if (!entries.TryGetValue(key, out var n)) return [];
        if (n is not YamlSequenceNode seq) throw new BadInputException("expected a list", File, KeyPath(key));
        return seq.Children.Select((c, i) => c is YamlMappingNode m ? Of(m, File, $"{KeyPath(key)}[{i}]")
            : throw new BadInputException("expected a mapping", File, $"{KeyPath(key)}[{i}]")).ToList();
    }

    /// <summary>The raw node (for values passed on unchanged).</summary>
    public YamlNode? Node(string key) => entries.GetValueOrDefault(key);
}
