using System.Globalization;
using System.Text;

namespace SafetyNotebooks.Tokenization.ChatTemplates;

/// <summary>A name the template used but nobody defined (Jinja's default Undefined: prints empty, is false, iterates empty).</summary>
public sealed record Undefined(string Name);

/// <summary>The one mutable value: Jinja's <c>namespace(...)</c>, which <c>{% set ns.x = … %}</c> may change from inside loops.</summary>
public sealed class JinjaNamespace(Dictionary<string, object?> values)
{
    public Dictionary<string, object?> Values { get; } = values;
}

/// <summary>
/// Python semantics for the values a template computes with: null (None), <see cref="Undefined"/>, bool, long, double,
/// string, lists (<see cref="IReadOnlyList{T}"/> of object?) and dicts (<see cref="IReadOnlyDictionary{TKey,TValue}"/>
/// with string keys, insertion-ordered).
/// </summary>
public static class JinjaValues
{
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        IReadOnlyList<object?> l => l.Count > 0,
        IReadOnlyDictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    /// <summary>What <c>{{ v }}</c> prints (Python's str()).</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v),
    };

    /// <summary>Python's repr(), which str() of lists and dicts uses for their items.</summary>
    public static string Repr(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        string s => QuoteRepr(s),
        IReadOnlyList<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        IReadOnlyDictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => QuoteRepr(kv.Key) + ": " + Repr(kv.Value))) + "}",
        JinjaNamespace => "<Namespace>",
        _ => v.ToString() ?? "",
    };

    static string QuoteRepr(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var b = new StringBuilder().Append(quote);
        foreach (var c in s)
            b.Append(c switch
            {
                '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t",
                _ when c == quote => "\\" + c,
                _ when c < ' ' || c == '\x7f' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        return b.Append(quote).ToString();
    }

    /// <summary>Python's float repr: "1.0", "0.1", "1e+16".</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == Math.Floor(d) && Math.Abs(d) < 1e16) return d.ToString("F0", CultureInfo.InvariantCulture) + ".0";
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOf('E');
        if (e < 0) return r;
        var exponent = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        return $"{r[..e]}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
    }

    public static bool IsNumber(object? v) => v is long or double or bool;
    static double ToDouble(object? v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => double.NaN };

    /// <summary>Python's ==.</summary>
    public static bool PyEquals(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (Undefined, Undefined) => true,
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (long x, long y) => x == y,
        _ when IsNumber(a) && IsNumber(b) => ToDouble(a) == ToDouble(b),
        (IReadOnlyList<object?> x, IReadOnlyList<object?> y) => x.Count == y.Count && x.Zip(y).All(p => PyEquals(p.First, p.Second)),
        (IReadOnlyDictionary<string, object?> x, IReadOnlyDictionary<string, object?> y) =>
            x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var o) && PyEquals(kv.Value, o)),
        _ => ReferenceEquals(a, b),
    };

    /// <summary>Python's ordering of two numbers or two strings; null when they cannot be compared.</summary>
    public static int? Compare(object? a, object? b) => (a, b) switch
    {
        (string x, string y) => string.CompareOrdinal(x, y),
        (long x, long y) => x.CompareTo(y),
        _ when IsNumber(a) && IsNumber(b) => ToDouble(a).CompareTo(ToDouble(b)),
        _ => null,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        IReadOnlyList<object?> => "list",
        IReadOnlyDictionary<string, object?> => "dict",
        JinjaNamespace => "Namespace",
        _ => v.GetType().Name,
    };

    /// <summary>
    /// Hugging Face's <c>tojson</c> filter: Python's <c>json.dumps(v, ensure_ascii=False, indent=indent)</c>
    /// (separators ", " and ": " without indent, "," and ": " with it).
    /// </summary>
    public static string ToJson(object? v, int? indent = null)
    {
        var b = new StringBuilder();
        Write(v, 0);
        return b.ToString();

        void Write(object? x, int depth)
        {
            switch (x)
            {
                case null: b.Append("null"); break;
                case bool t: b.Append(t ? "true" : "false"); break;
                case long l: b.Append(l.ToString(CultureInfo.InvariantCulture)); break;
                case double d: b.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : Float(d)); break;
                case string s: JsonString(b, s); break;
                case IReadOnlyList<object?> list: Container('[', ']', list.Select(i => (Key: (string?)null, Value: i)).ToList(), depth); break;
                case IReadOnlyDictionary<string, object?> dict: Container('{', '}', dict.Select(kv => ((string?)kv.Key, kv.Value)).ToList(), depth); break;
                case JinjaNamespace ns: Container('{', '}', ns.Values.Select(kv => ((string?)kv.Key, kv.Value)).ToList(), depth); break;
                default: throw new InvalidOperationException($"Object of type {TypeName(x)} is not JSON serializable");
            }
        }

        void Container(char open, char close, List<(string? Key, object? Value)> items, int depth)
        {
            b.Append(open);
            if (items.Count == 0) { b.Append(close); return; }
            for (var i = 0; i < items.Count; i++)
            {
                if (i > 0) b.Append(indent is null ? ", " : ",");
                if (indent is { } n) b.Append('\n').Append(' ', n * (depth + 1));
                if (items[i].Key is { } key) { JsonString(b, key); b.Append(": "); }
                Write(items[i].Value, depth + 1);
            }
            if (indent is { } m) b.Append('\n').Append(' ', m * depth);
            b.Append(close);
        }
    }

    static void JsonString(StringBuilder b, string s)
    {
        b.Append('"');
        foreach (var c in s)
            b.Append(c switch
            {
                '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", '\b' => "\\b", '\f' => "\\f",
                _ when c < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        b.Append('"');
    }
}
