using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SafetyNotebooks.Launch;

/// <summary>
/// A minimal, deterministic YAML emitter for configs read by PyYAML/jsonargparse (YAML 1.1): ordered maps, flow lists
/// of scalars, and scalars written so that PyYAML reads back the same type (floats always with a decimal point and no
/// exponent, because PyYAML 1.1 reads <c>5e-4</c> as a string).
/// </summary>
public static partial class Yaml
{
    /// <summary>An ordered mapping; values are scalars (string, long, int, double, bool, null), lists of scalars, or nested maps.</summary>
    public sealed record Map(IReadOnlyList<KeyValuePair<string, object?>> Entries)
    {
        public static Map Of(params (string Key, object? Value)[] entries) =>
            new(entries.Select(e => new KeyValuePair<string, object?>(e.Key, e.Value)).ToList());

        public IEnumerable<string> Keys => Entries.Select(e => e.Key);

        public object? this[string key] => Entries.First(e => e.Key == key).Value;
    }

    public static string Write(Map map, IReadOnlyDictionary<string, string>? comments = null)
    {
        var sb = new StringBuilder();
        WriteMap(sb, map, 0, "", comments ?? new Dictionary<string, string>());
        return sb.ToString();
    }

    static void WriteMap(StringBuilder sb, Map map, int indent, string path, IReadOnlyDictionary<string, string> comments)
    {
        foreach (var (key, value) in map.Entries)
        {
            var full = path.Length == 0 ? key : $"{path}.{key}";
            var pad = new string(' ', indent);
            var comment = comments.TryGetValue(full, out var c) ? $"  # {c}" : "";
            if (value is Map nested)
            {
                sb.Append(pad).Append(Key(key)).Append(':').Append(comment).Append('\n');
                WriteMap(sb, nested, indent + 2, full, comments);
            }
            else
                sb.Append(pad).Append(Key(key)).Append(": ").Append(Value(value)).Append(comment).Append('\n');
        }
    }

    static string Key(string key) => PlainSafe().IsMatch(key) ? key : Quote(key);

    public static string Value(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        string s => Scalar(s),
        System.Collections.IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(Value)) + "]",
        _ => throw new ArgumentException($"unsupported YAML value {value.GetType().Name}"),
    };

    /// <summary>A float PyYAML reads as a float: decimal point, never an exponent.</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d)) throw new ArgumentException("non-finite float in a config");
        var s = d.ToString("0.0###########################", CultureInfo.InvariantCulture);
        return s;
    }

    static string Scalar(string s) =>
        PlainSafe().IsMatch(s) && !Reserved.Contains(s.ToLowerInvariant()) && !LooksNumeric().IsMatch(s) ? s : Quote(s);

    static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s); // JSON strings are YAML double-quoted scalars

    static readonly HashSet<string> Reserved = ["true", "false", "yes", "no", "on", "off", "null", "~", "y", "n", ""];

    [GeneratedRegex(@"^[A-Za-z_/][A-Za-z0-9_./\-]*$")]
    private static partial Regex PlainSafe();

    [GeneratedRegex(@"^[-+]?[0-9.]")]
    private static partial Regex LooksNumeric();
}
