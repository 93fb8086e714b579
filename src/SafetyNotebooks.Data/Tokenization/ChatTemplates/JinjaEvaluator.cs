using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using static SafetyNotebooks.Tokenization.ChatTemplates.JinjaValues;

namespace SafetyNotebooks.Tokenization.ChatTemplates;

/// <summary>
/// Renders a parsed template. Variables live in immutable scopes: <c>{% set %}</c> inside <c>if</c> is visible after
/// it, inside a <c>for</c> body only for the rest of that iteration (Jinja's scoping; <c>namespace</c> is the escape
/// hatch). Errors name the template position; <c>raise_exception(msg)</c> is an error carrying the template's message.
/// </summary>
public static class JinjaEvaluator
{
    /// <summary>What Python's str.strip() removes (str.isspace): .NET's whitespace plus U+001C–U+001F.</summary>
    static readonly char[] PythonWhitespace = Enumerable.Range(0, 0x10000).Where(c => char.IsWhiteSpace((char)c) || c is >= 0x1C and <= 0x1F).Select(c => (char)c).ToArray();

    public static string Render(IReadOnlyList<Node> template, IReadOnlyDictionary<string, object?> variables, Func<DateTime>? now = null)
    {
        var output = new StringBuilder();
        var scope = ImmutableDictionary.CreateRange(StringComparer.Ordinal, variables);
        new Renderer(output, now ?? (() => DateTime.Now)).Run(template, scope);
        return output.ToString();
    }

    sealed class LoopBreak : Exception;
    sealed class LoopContinue : Exception;

    /// <summary>One render: the output buffer and the clock are its only state.</summary>
    sealed class Renderer(StringBuilder output, Func<DateTime> now)
    {
        public ImmutableDictionary<string, object?> Run(IReadOnlyList<Node> nodes, ImmutableDictionary<string, object?> scope)
        {
            foreach (var node in nodes) scope = Run(node, scope);
            return scope;
        }

        ImmutableDictionary<string, object?> Run(Node node, ImmutableDictionary<string, object?> scope)
        {
            switch (node)
            {
                case TextNode t: output.Append(t.Text); return scope;
                case OutputNode o: output.Append(Str(Eval(o.Value, scope))); return scope;
                case IfNode i:
                    foreach (var (condition, body) in i.Branches)
                        if (Truthy(Eval(condition, scope))) return Run(body, scope);
                    return Run(i.Else, scope);
                case SetNode s when s.Member is null: return scope.SetItem(s.Target, Eval(s.Value, scope));
                case SetNode s:
                    if (Lookup(s.Target, scope) is not JinjaNamespace ns) throw Error(s.Pos, $"'{s.Target}' is not a namespace; only namespace attributes can be set");
                    ns.Values[s.Member!] = Eval(s.Value, scope);
                    return scope;
                case ForNode f: RunFor(f, scope); return scope;
                case LoopControlNode c: throw c.IsBreak ? new LoopBreak() : new LoopContinue();
                default: throw Error(node.Pos, $"cannot render {node.GetType().Name}");
            }
        }

        void RunFor(ForNode f, ImmutableDictionary<string, object?> scope)
        {
            var items = Iterate(Eval(f.Iterable, scope), f.Iterable.Pos);
            if (f.Filter is not null) items = items.Where(item => Truthy(Eval(f.Filter, Bind(f, item, scope)))).ToList();
            if (items.Count == 0) { Run(f.Else, scope); return; }
            for (var i = 0; i < items.Count; i++)
            {
                var loop = new Dictionary<string, object?>
                {
                    ["index"] = (long)i + 1, ["index0"] = (long)i, ["first"] = i == 0, ["last"] = i == items.Count - 1,
                    ["length"] = (long)items.Count, ["revindex"] = (long)(items.Count - i), ["revindex0"] = (long)(items.Count - i - 1),
                    ["previtem"] = i > 0 ? items[i - 1] : new Undefined("previtem"),
                    ["nextitem"] = i + 1 < items.Count ? items[i + 1] : new Undefined("nextitem"),
                };
                try { Run(f.Body, Bind(f, items[i], scope).SetItem("loop", loop)); }
                catch (LoopContinue) { }
                catch (LoopBreak) { break; }
            }
        }

        static ImmutableDictionary<string, object?> Bind(ForNode f, object? item, ImmutableDictionary<string, object?> scope)
        {
            if (f.Targets.Count == 1) return scope.SetItem(f.Targets[0], item);
            if (item is not IReadOnlyList<object?> parts || parts.Count != f.Targets.Count)
                throw Error(f.Pos, $"cannot unpack {TypeName(item)} into {f.Targets.Count} names");
            return f.Targets.Zip(parts).Aggregate(scope, (s, p) => s.SetItem(p.First, p.Second));
        }

        static List<object?> Iterate(object? v, SourcePos pos) => v switch
        {
            Undefined => [],
            IReadOnlyList<object?> l => l.ToList(),
            IReadOnlyDictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
            string s => s.Select(c => (object?)c.ToString()).ToList(),
            _ => throw Error(pos, $"'{TypeName(v)}' object is not iterable"),
        };

        static object? Lookup(string name, ImmutableDictionary<string, object?> scope) =>
            scope.TryGetValue(name, out var v) ? v : new Undefined(name);

        object? Eval(Expr e, ImmutableDictionary<string, object?> scope)
        {
            switch (e)
            {
                case Literal l: return l.Value;
                case Name n: return Lookup(n.Identifier, scope);
                case ListLiteral l: return l.Items.Select(i => Eval(i, scope)).ToList();
                case DictLiteral d:
                    var dict = new Dictionary<string, object?>();
                    foreach (var (k, v) in d.Entries)
                        dict[Eval(k, scope) as string ?? throw Error(k.Pos, "dict keys must be strings")] = Eval(v, scope);
                    return dict;
                case Attribute a: return GetAttribute(Eval(a.Target, scope), a.Member, a.Pos);
                case Index i: return GetItem(Eval(i.Target, scope), Eval(i.Key, scope), i.Pos);
                case SliceExpr s: return Slice(s, scope);
                case Conditional c:
                    return Truthy(Eval(c.Condition, scope)) ? Eval(c.Then, scope) : c.Else is null ? new Undefined("else") : Eval(c.Else, scope);
                case Unary u:
                    var operand = Eval(u.Operand, scope);
                    return u.Op switch
                    {
                        "not" => !Truthy(operand),
                        "-" => operand switch { long x => (object)-x, double x => -x, bool b => b ? -1L : 0L, _ => throw Error(u.Pos, $"bad operand type for unary -: '{TypeName(operand)}'") },
                        _ => IsNumber(operand) ? operand : throw Error(u.Pos, $"bad operand type for unary +: '{TypeName(operand)}'"),
                    };
                case Binary { Op: "and" } b: { var left = Eval(b.Left, scope); return Truthy(left) ? Eval(b.Right, scope) : left; }
                case Binary { Op: "or" } b: { var left = Eval(b.Left, scope); return Truthy(left) ? left : Eval(b.Right, scope); }
                case Binary b: return BinaryOp(b.Op, Eval(b.Left, scope), Eval(b.Right, scope), b.Pos);
                case TestExpr t: return RunTest(t, scope) != t.Negated;
                case FilterExpr f: return RunFilter(f, scope);
                case Call c: return RunCall(c, scope);
                default: throw Error(e.Pos, $"cannot evaluate {e.GetType().Name}");
            }
        }

        static object? GetAttribute(object? target, string member, SourcePos pos) => target switch
        {
            Undefined u => throw Error(pos, $"'{u.Name}' is undefined"),
            IReadOnlyDictionary<string, object?> d => d.TryGetValue(member, out var v) ? v : new Undefined(member),
            JinjaNamespace ns => ns.Values.TryGetValue(member, out var v) ? v : new Undefined(member),
            _ => new Undefined(member),
        };

        static object? GetItem(object? target, object? key, SourcePos pos)
        {
            switch (target, key)
            {
                case (Undefined u, _): throw Error(pos, $"'{u.Name}' is undefined");
                case (IReadOnlyDictionary<string, object?> d, string k): return d.TryGetValue(k, out var v) ? v : new Undefined(k);
                case (JinjaNamespace ns, string k): return ns.Values.TryGetValue(k, out var nv) ? nv : new Undefined(k);
                case (IReadOnlyList<object?> l, long i): { var at = i < 0 ? l.Count + i : i; return at >= 0 && at < l.Count ? l[(int)at] : new Undefined($"[{i}]"); }
                case (string s, long i): { var at = i < 0 ? s.Length + i : i; return at >= 0 && at < s.Length ? s[(int)at].ToString() : new Undefined($"[{i}]"); }
                case (null, _): throw Error(pos, "'NoneType' object is not subscriptable");
                default: return new Undefined(Str(key));
            }
        }

        object? Slice(SliceExpr s, ImmutableDictionary<string, object?> scope)
        {
            var target = Eval(s.Target, scope);
            long? Bound(Expr? x) => x is null ? null : Eval(x, scope) switch
            {
                null => null,
                long l => l,
                var other => throw Error(x.Pos, $"slice indices must be integers or None, not {TypeName(other)}"),
            };
            var (start, stop, step) = (Bound(s.Start), Bound(s.Stop), Bound(s.Step) ?? 1);
            if (step == 0) throw Error(s.Pos, "slice step cannot be zero");
            var count = target switch
            {
                IReadOnlyList<object?> l => l.Count,
                string str => str.Length,
                Undefined u => throw Error(s.Pos, $"'{u.Name}' is undefined"),
                _ => throw Error(s.Pos, $"'{TypeName(target)}' object is not subscriptable"),
            };
            var indices = SliceIndices(count, start, stop, step);
            return target is string text
                ? string.Concat(indices.Select(i => text[i]))
                : indices.Select(i => ((IReadOnlyList<object?>)target!)[i]).ToList();
        }

        /// <summary>The positions Python's <c>seq[start:stop:step]</c> visits.</summary>
        static List<int> SliceIndices(int count, long? start, long? stop, long step)
        {
            long Clamp(long? v, long whenNull, long low, long high)
            {
                if (v is not { } x) return whenNull;
                if (x < 0) x += count;
                return Math.Clamp(x, low, high);
            }
            var result = new List<int>();
            if (step > 0)
                for (var i = Clamp(start, 0, 0, count); i < Clamp(stop, count, 0, count); i += step) result.Add((int)i);
            else
                for (var i = Clamp(start, count - 1, -1, count - 1); i > Clamp(stop, -1, -1, count - 1); i += step) result.Add((int)i);
            return result;
        }

        static object? BinaryOp(string op, object? a, object? b, SourcePos pos)
        {
            switch (op)
            {
                case "==": return PyEquals(a, b);
                case "!=": return !PyEquals(a, b);
                case "<" or ">" or "<=" or ">=":
                    var c = Compare(a, b) ?? throw Error(pos, $"'{op}' not supported between '{TypeName(a)}' and '{TypeName(b)}'");
                    return op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 };
                case "in": return Contains(b, a, pos);
                case "not in": return !Contains(b, a, pos);
                case "~": return Str(a) + Str(b);
            }
            switch (op, a, b)
            {
                case ("+", string x, string y): return x + y;
                case ("+", IReadOnlyList<object?> x, IReadOnlyList<object?> y): return x.Concat(y).ToList();
                case ("*", string x, long n): return string.Concat(Enumerable.Repeat(x, (int)Math.Max(0, n)));
                case ("*", IReadOnlyList<object?> x, long n): return Enumerable.Repeat(x, (int)Math.Max(0, n)).SelectMany(l => l).ToList();
            }
            if (!(IsNumber(a) && IsNumber(b)))
                throw Error(pos, $"unsupported operand types for {op}: '{TypeName(a)}' and '{TypeName(b)}'");
            if (a is long or bool && b is long or bool)
            {
                long x = a is bool p ? (p ? 1 : 0) : (long)a, y = b is bool q ? (q ? 1 : 0) : (long)b;
                switch (op)
                {
                    case "+": return x + y;
                    case "-": return x - y;
                    case "*": return x * y;
                    case "//": return y == 0 ? throw Error(pos, "integer division by zero") : FloorDiv(x, y);
                    case "%": return y == 0 ? throw Error(pos, "integer modulo by zero") : x - FloorDiv(x, y) * y;
                    case "**" when y >= 0: return (long)Math.Pow(x, y);
                }
            }
            double dx = Convert.ToDouble(a is bool ba ? (ba ? 1 : 0) : a, CultureInfo.InvariantCulture), dy = Convert.ToDouble(b is bool bb ? (bb ? 1 : 0) : b, CultureInfo.InvariantCulture);
            return op switch
            {
                "+" => dx + dy,
                "-" => dx - dy,
                "*" => dx * dy,
                "/" => dy == 0 ? throw Error(pos, "division by zero") : dx / dy,
                "//" => dy == 0 ? throw Error(pos, "float floor division by zero") : Math.Floor(dx / dy),
                "%" => dy == 0 ? throw Error(pos, "float modulo") : dx - Math.Floor(dx / dy) * dy,
                "**" => Math.Pow(dx, dy),
                _ => throw Error(pos, $"unknown operator '{op}'"),
            };
        }

        static long FloorDiv(long x, long y) => x / y - ((x % y != 0) && ((x < 0) != (y < 0)) ? 1 : 0);

        static bool Contains(object? container, object? item, SourcePos pos) => container switch
        {
            string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
            string => throw Error(pos, $"'in <string>' requires string as left operand, not {TypeName(item)}"),
            IReadOnlyList<object?> l => l.Any(x => PyEquals(x, item)),
            IReadOnlyDictionary<string, object?> d => item is string k && d.ContainsKey(k),
            JinjaNamespace ns => item is string k && ns.Values.ContainsKey(k),
            Undefined u => throw Error(pos, $"'{u.Name}' is undefined"),
            _ => throw Error(pos, $"argument of type '{TypeName(container)}' is not iterable"),
        };

        bool RunTest(TestExpr t, ImmutableDictionary<string, object?> scope)
        {
            var v = Eval(t.Target, scope);
            var args = t.Args.Select(a => Eval(a, scope)).ToList();
            return t.Test switch
            {
                "defined" => v is not Undefined,
                "undefined" => v is Undefined,
                "none" => v is null,
                "true" => v is true,
                "false" => v is false,
                "boolean" => v is bool,
                "string" => v is string,
                "number" => v is long or double,
                "integer" => v is long,
                "float" => v is double,
                "mapping" => v is IReadOnlyDictionary<string, object?>,
                "sequence" => v is string or IReadOnlyList<object?> or IReadOnlyDictionary<string, object?>,
                "iterable" => v is string or IReadOnlyList<object?> or IReadOnlyDictionary<string, object?>,
                "callable" => false,
                "odd" => v is long o && Math.Abs(o % 2) == 1,
                "even" => v is long n && n % 2 == 0,
                "eq" or "equalto" or "==" when args.Count == 1 => PyEquals(v, args[0]),
                "ne" or "!=" when args.Count == 1 => !PyEquals(v, args[0]),
                "in" when args.Count == 1 => Contains(args[0], v, t.Pos),
                _ => throw Error(t.Pos, $"unsupported test '{t.Test}'"),
            };
        }

        object? RunFilter(FilterExpr f, ImmutableDictionary<string, object?> scope)
        {
            var v = Eval(f.Target, scope);
            var args = f.Args.Select(a => Eval(a, scope)).ToList();
            var kwargs = f.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope));
            object? Arg(int i, string name, object? fallback) => kwargs.TryGetValue(name, out var k) ? k : i < args.Count ? args[i] : fallback;
            switch (f.Filter)
            {
                case "trim": return Arg(0, "chars", null) is string chars ? Str(v).Trim(chars.ToCharArray()) : Str(v).Trim(PythonWhitespace);
                case "length" or "count":
                    return v switch
                    {
                        string s => (long)s.Length,
                        IReadOnlyList<object?> l => (long)l.Count,
                        IReadOnlyDictionary<string, object?> d => (long)d.Count,
                        Undefined => 0L,
                        _ => throw Error(f.Pos, $"object of type '{TypeName(v)}' has no len()"),
                    };
                case "tojson":
                    try { return ToJson(v, Arg(0, "indent", null) is long n ? (int)n : null); }
                    catch (InvalidOperationException e) { throw Error(f.Pos, e.Message); }
                case "upper": return Str(v).ToUpperInvariant();
                case "lower": return Str(v).ToLowerInvariant();
                case "capitalize": { var s = Str(v); return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant(); }
                case "title": return CultureInfo.InvariantCulture.TextInfo.ToTitleCase(Str(v).ToLowerInvariant());
                case "string": return Str(v);
                case "int": return v switch { long l => l, double d => (long)Math.Truncate(d), bool b => b ? 1L : 0L, string s when long.TryParse(s.Trim(), CultureInfo.InvariantCulture, out var p) => p, _ => Arg(0, "default", 0L) };
                case "float": return v switch { long l => (double)l, double d => d, string s when double.TryParse(s.Trim(), CultureInfo.InvariantCulture, out var p) => p, _ => Arg(0, "default", 0.0) };
                case "abs": return v switch { long l => (object)Math.Abs(l), double d => Math.Abs(d), _ => throw Error(f.Pos, $"bad operand type for abs(): '{TypeName(v)}'") };
                case "default" or "d":
                    var useDefault = Truthy(Arg(1, "boolean", false)) ? !Truthy(v) : v is Undefined;
                    return useDefault ? Arg(0, "default_value", "") : v;
                case "first": return Iterate(v, f.Pos) is { Count: > 0 } a ? a[0] : new Undefined("first");
                case "last": return Iterate(v, f.Pos) is { Count: > 0 } z ? z[^1] : new Undefined("last");
                case "list": return Iterate(v, f.Pos);
                case "reverse": return v is string rs ? new string(rs.Reverse().ToArray()) : Enumerable.Reverse(Iterate(v, f.Pos)).ToList();
                case "join": return string.Join(Str(Arg(0, "d", "")), Iterate(v, f.Pos).Select(Str));
                case "replace": return Str(v).Replace(Str(Arg(0, "old", "")), Str(Arg(1, "new", "")), StringComparison.Ordinal);
                case "items": return v is IReadOnlyDictionary<string, object?> items ? Items(items) : throw Error(f.Pos, $"items needs a dict, not {TypeName(v)}");
                default: throw Error(f.Pos, $"unsupported filter '{f.Filter}'");
            }
        }

        static List<object?> Items(IReadOnlyDictionary<string, object?> d) => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList();

        object? RunCall(Call c, ImmutableDictionary<string, object?> scope)
        {
            var args = c.Args.Select(a => Eval(a, scope)).ToList();
            var kwargs = c.Kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope));
            if (c.Callee is Attribute { } method) return CallMethod(Eval(method.Target, scope), method.Member, args, c.Pos);
            var name = (c.Callee as Name)?.Identifier ?? throw Error(c.Pos, "only functions and methods can be called");
            switch (name)
            {
                case "raise_exception":
                    throw new BadInputException($"{c.Pos}: the template raised: {(args.Count > 0 ? Str(args[0]) : "")}", "chat_template");
                case "namespace": return new JinjaNamespace(new Dictionary<string, object?>(kwargs));
                case "range":
                    var ints = args.Select(a => a as long? ?? throw Error(c.Pos, "range() needs integers")).ToList();
                    var (start, stop, step) = ints.Count switch { 1 => (0L, ints[0], 1L), 2 => (ints[0], ints[1], 1L), 3 => (ints[0], ints[1], ints[2]), _ => throw Error(c.Pos, "range() takes 1 to 3 arguments") };
                    if (step == 0) throw Error(c.Pos, "range() step must not be zero");
                    var range = new List<object?>();
                    for (var i = start; step > 0 ? i < stop : i > stop; i += step) range.Add(i);
                    return range;
                case "strftime_now": return Strftime(now(), Str(args.ElementAtOrDefault(0)));
                default:
                    if (scope.ContainsKey(name)) throw Error(c.Pos, $"'{name}' is not callable");
                    throw Error(c.Pos, $"unsupported function '{name}'");
            }
        }

        static object? CallMethod(object? target, string method, List<object?> args, SourcePos pos)
        {
            string? StrArg(int i) => i < args.Count && args[i] is string s ? s : null;
            switch (target, method)
            {
                case (string s, "strip"): return StrArg(0) is { } sc ? s.Trim(sc.ToCharArray()) : s.Trim(PythonWhitespace);
                case (string s, "lstrip"): return StrArg(0) is { } lc ? s.TrimStart(lc.ToCharArray()) : s.TrimStart(PythonWhitespace);
                case (string s, "rstrip"): return StrArg(0) is { } rc ? s.TrimEnd(rc.ToCharArray()) : s.TrimEnd(PythonWhitespace);
                case (string s, "upper"): return s.ToUpperInvariant();
                case (string s, "lower"): return s.ToLowerInvariant();
                case (string s, "title"): return CultureInfo.InvariantCulture.TextInfo.ToTitleCase(s.ToLowerInvariant());
                case (string s, "capitalize"): return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
                case (string s, "startswith"): return StrArg(0) is { } p && s.StartsWith(p, StringComparison.Ordinal);
                case (string s, "endswith"): return StrArg(0) is { } q && s.EndsWith(q, StringComparison.Ordinal);
                case (string s, "replace"): return s.Replace(StrArg(0) ?? "", StrArg(1) ?? "", StringComparison.Ordinal);
                case (string s, "split"):
                    return (StrArg(0) is { } sep ? s.Split(sep) : s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Select(x => (object?)x).ToList();
                case (IReadOnlyDictionary<string, object?> d, "items"): return Items(d);
                case (IReadOnlyDictionary<string, object?> d, "keys"): return d.Keys.Select(k => (object?)k).ToList();
                case (IReadOnlyDictionary<string, object?> d, "values"): return d.Values.ToList();
                case (IReadOnlyDictionary<string, object?> d, "get"):
                    return StrArg(0) is { } key && d.TryGetValue(key, out var v) ? v : args.ElementAtOrDefault(1);
                case (Undefined u, _): throw Error(pos, $"'{u.Name}' is undefined");
                default: throw Error(pos, $"unsupported method '{TypeName(target)}.{method}()'");
            }
        }

        /// <summary>Python's strftime for the codes chat templates use (dates in system prompts).</summary>
        static string Strftime(DateTime t, string format)
        {
            var b = new StringBuilder();
            for (var i = 0; i < format.Length; i++)
            {
                if (format[i] != '%' || i + 1 == format.Length) { b.Append(format[i]); continue; }
                var code = format[++i];
                b.Append(code switch
                {
                    'd' => t.ToString("dd", CultureInfo.InvariantCulture),
                    'm' => t.ToString("MM", CultureInfo.InvariantCulture),
                    'Y' => t.ToString("yyyy", CultureInfo.InvariantCulture),
                    'y' => t.ToString("yy", CultureInfo.InvariantCulture),
                    'b' => t.ToString("MMM", CultureInfo.InvariantCulture),
                    'B' => t.ToString("MMMM", CultureInfo.InvariantCulture),
                    'a' => t.ToString("ddd", CultureInfo.InvariantCulture),
                    'A' => t.ToString("dddd", CultureInfo.InvariantCulture),
                    'H' => t.ToString("HH", CultureInfo.InvariantCulture),
                    'M' => t.ToString("mm", CultureInfo.InvariantCulture),
                    'S' => t.ToString("ss", CultureInfo.InvariantCulture),
                    'j' => t.DayOfYear.ToString("000", CultureInfo.InvariantCulture),
                    '%' => "%",
                    _ => "%" + code,
                });
            }
            return b.ToString();
        }

        static BadInputException Error(SourcePos pos, string message) => JinjaLexer.Error(pos, message);
    }
}
