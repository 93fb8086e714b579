using System.Globalization;

namespace SafetyNotebooks.Tokenization.ChatTemplates;

/// <summary>
/// Parses the Jinja subset that chat templates use into an immutable tree: text, <c>{{ expr }}</c>,
/// <c>{% if/elif/else %}</c>, <c>{% for x[, y] in expr [if cond] %}…{% else %}…{% endfor %}</c>, <c>{% set %}</c>
/// (also <c>ns.attr</c>), <c>{% break/continue %}</c>, with Jinja's operator precedence. Anything else is an error
/// naming its line and column.
/// </summary>
public static class JinjaParser
{
    public static IReadOnlyList<Node> Parse(string source)
    {
        var segments = JinjaLexer.Lex(source);
        var at = 0;
        var (body, end) = ParseBody(segments, ref at, [], null);
        if (end is not null) throw Error(end.Pos, $"unexpected '{Keyword(end)}'");
        return body;
    }

    static string Keyword(StatementSegment s) => s.Tokens.Count > 0 ? s.Tokens[0].Text : "";

    /// <summary>Nodes up to a statement whose keyword is in <paramref name="stops"/> (returned) or the end of the template.</summary>
    static (List<Node> Nodes, StatementSegment? Stop) ParseBody(IReadOnlyList<Segment> segments, ref int at, string[] stops, StatementSegment? opener)
    {
        var nodes = new List<Node>();
        while (at < segments.Count)
        {
            var segment = segments[at++];
            switch (segment)
            {
                case TextSegment t:
                    nodes.Add(new TextNode(t.Text, t.Pos));
                    break;
                case OutputSegment o:
                    var c = new Cursor(o.Tokens, o.End);
                    if (c.AtEnd) throw Error(o.Pos, "empty expression");
                    nodes.Add(new OutputNode(c.Finish(ParseExpression(c)), o.Pos));
                    break;
                case StatementSegment s:
                    var keyword = Keyword(s);
                    if (stops.Contains(keyword)) return (nodes, s);
                    nodes.Add(keyword switch
                    {
                        "if" => ParseIf(segments, ref at, s),
                        "for" => ParseFor(segments, ref at, s),
                        "set" => ParseSet(s),
                        "break" or "continue" => LoopControl(s),
                        "" => throw Error(s.Pos, "empty tag"),
                        "endif" or "endfor" or "elif" or "else" => throw Error(s.Pos, $"unexpected '{keyword}'"),
                        _ => throw Error(s.Pos, $"unsupported tag '{keyword}'"),
                    });
                    break;
            }
        }
        if (opener is not null) throw Error(opener.Pos, $"'{Keyword(opener)}' is not closed (expected one of: {string.Join(", ", stops)})");
        return (nodes, null);
    }

    static Node ParseIf(IReadOnlyList<Segment> segments, ref int at, StatementSegment opener)
    {
        var branches = new List<(Expr, IReadOnlyList<Node>)>();
        var head = opener;
        while (true)
        {
            var c = new Cursor(head.Tokens, head.End, 1);
            var condition = c.Finish(ParseExpression(c));
            var (body, stop) = ParseBody(segments, ref at, ["elif", "else", "endif"], opener);
            branches.Add((condition, body));
            switch (Keyword(stop!))
            {
                case "elif": head = stop!; continue;
                case "else":
                    new Cursor(stop!.Tokens, stop.End, 1).Finish<object?>(null);
                    var (otherwise, end) = ParseBody(segments, ref at, ["endif"], opener);
                    new Cursor(end!.Tokens, end.End, 1).Finish<object?>(null);
                    return new IfNode(branches, otherwise, opener.Pos);
                default:
                    new Cursor(stop!.Tokens, stop.End, 1).Finish<object?>(null);
                    return new IfNode(branches, [], opener.Pos);
            }
        }
    }

    static Node ParseFor(IReadOnlyList<Segment> segments, ref int at, StatementSegment opener)
    {
        var c = new Cursor(opener.Tokens, opener.End, 1);
        var targets = new List<string>();
        var parenthesised = c.Accept("(");
        do targets.Add(c.ExpectName()); while (c.Accept(","));
        if (parenthesised) c.Expect(")");
        c.ExpectKeyword("in");
        var iterable = ParseOr(c);
        var filter = c.AcceptKeyword("if") ? ParseOr(c) : null;
        if (c.AcceptKeyword("recursive")) throw Error(opener.Pos, "recursive loops are not supported");
        c.Finish<object?>(null);
        var (body, stop) = ParseBody(segments, ref at, ["else", "endfor"], opener);
        IReadOnlyList<Node> otherwise = [];
        if (Keyword(stop!) == "else") (otherwise, stop) = ParseBody(segments, ref at, ["endfor"], opener);
        new Cursor(stop!.Tokens, stop.End, 1).Finish<object?>(null);
        return new ForNode(targets, iterable, filter, body, otherwise, opener.Pos);
    }

    static Node ParseSet(StatementSegment s)
    {
        var c = new Cursor(s.Tokens, s.End, 1);
        var target = c.ExpectName();
        var member = c.Accept(".") ? c.ExpectName() : null;
        if (!c.Accept("=")) throw Error(c.Pos, "only '{% set name = value %}' is supported");
        return new SetNode(target, member, c.Finish(ParseExpression(c)), s.Pos);
    }

    static Node LoopControl(StatementSegment s)
    {
        new Cursor(s.Tokens, s.End, 1).Finish<object?>(null);
        return new LoopControlNode(Keyword(s) == "break", s.Pos);
    }

    // ---- expressions, lowest precedence first (as Jinja's parser) ----

    static Expr ParseExpression(Cursor c)
    {
        var value = ParseOr(c);
        if (!c.AcceptKeyword("if")) return value;
        var condition = ParseOr(c);
        var otherwise = c.AcceptKeyword("else") ? ParseExpression(c) : null;
        return new Conditional(condition, value, otherwise, value.Pos);
    }

    static Expr ParseOr(Cursor c)
    {
        var left = ParseAnd(c);
        while (c.PeekKeyword("or")) { var p = c.Next().Pos; left = new Binary("or", left, ParseAnd(c), p); }
        return left;
    }

    static Expr ParseAnd(Cursor c)
    {
        var left = ParseNot(c);
        while (c.PeekKeyword("and")) { var p = c.Next().Pos; left = new Binary("and", left, ParseNot(c), p); }
        return left;
    }

    static Expr ParseNot(Cursor c)
    {
        if (!c.PeekKeyword("not")) return ParseCompare(c);
        var p = c.Next().Pos;
        return new Unary("not", ParseNot(c), p);
    }

    static readonly string[] Comparisons = ["==", "!=", "<", ">", "<=", ">="];

    static Expr ParseCompare(Cursor c)
    {
        var left = ParseMath1(c);
        while (true)
        {
            var p = c.Pos;
            if (c.Peek is { Kind: TokenKind.Operator } t && Comparisons.Contains(t.Text)) { c.Next(); left = new Binary(t.Text, left, ParseMath1(c), p); }
            else if (c.AcceptKeyword("in")) left = new Binary("in", left, ParseMath1(c), p);
            else if (c.PeekKeyword("not") && c.PeekKeyword("in", 1)) { c.Next(); c.Next(); left = new Binary("not in", left, ParseMath1(c), p); }
            else return left;
        }
    }

    static Expr ParseMath1(Cursor c)
    {
        var left = ParseConcat(c);
        while (c.PeekOperator("+") || c.PeekOperator("-")) { var t = c.Next(); left = new Binary(t.Text, left, ParseConcat(c), t.Pos); }
        return left;
    }

    static Expr ParseConcat(Cursor c)
    {
        var left = ParseMath2(c);
        while (c.PeekOperator("~")) { var t = c.Next(); left = new Binary("~", left, ParseMath2(c), t.Pos); }
        return left;
    }

    static Expr ParseMath2(Cursor c)
    {
        var left = ParsePow(c);
        while (c.Peek is { Kind: TokenKind.Operator, Text: "*" or "/" or "//" or "%" } t) { c.Next(); left = new Binary(t.Text, left, ParsePow(c), t.Pos); }
        return left;
    }

    static Expr ParsePow(Cursor c)
    {
        var left = ParseUnary(c, withFilters: true);
        while (c.PeekOperator("**")) { var t = c.Next(); left = new Binary("**", left, ParseUnary(c, withFilters: true), t.Pos); }
        return left;
    }

    static Expr ParseUnary(Cursor c, bool withFilters)
    {
        Expr node;
        if (c.PeekOperator("-") || c.PeekOperator("+")) { var t = c.Next(); node = new Unary(t.Text, ParseUnary(c, withFilters: false), t.Pos); }
        else node = ParsePostfix(c, ParsePrimary(c));
        return withFilters ? ParseFilters(c, node) : node;
    }

    static Expr ParsePrimary(Cursor c)
    {
        var t = c.Next();
        switch (t.Kind)
        {
            case TokenKind.String:
                var text = t.Text;
                while (c.Peek is { Kind: TokenKind.String }) text += c.Next().Text;   // adjacent literals join
                return new Literal(text, t.Pos);
            case TokenKind.Integer: return new Literal(long.Parse(t.Text, CultureInfo.InvariantCulture), t.Pos);
            case TokenKind.Float: return new Literal(double.Parse(t.Text, CultureInfo.InvariantCulture), t.Pos);
            case TokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new Literal(true, t.Pos),
                    "false" or "False" => new Literal(false, t.Pos),
                    "none" or "None" => new Literal(null, t.Pos),
                    _ => new Name(t.Text, t.Pos),
                };
        }
        switch (t.Text)
        {
            case "(":
                var inner = ParseExpression(c);
                if (c.PeekOperator(","))
                {
                    var items = new List<Expr> { inner };
                    while (c.Accept(",") && !c.PeekOperator(")")) items.Add(ParseExpression(c));
                    inner = new ListLiteral(items, t.Pos);   // a tuple behaves as a list here
                }
                c.Expect(")");
                return inner;
            case "[":
                var list = new List<Expr>();
                while (!c.PeekOperator("]")) { list.Add(ParseExpression(c)); if (!c.Accept(",")) break; }
                c.Expect("]");
                return new ListLiteral(list, t.Pos);
            case "{":
                var entries = new List<(Expr, Expr)>();
                while (!c.PeekOperator("}"))
                {
                    var key = ParseExpression(c);
                    c.Expect(":");
                    entries.Add((key, ParseExpression(c)));
                    if (!c.Accept(",")) break;
                }
                c.Expect("}");
                return new DictLiteral(entries, t.Pos);
            default:
                throw Error(t.Pos, $"unexpected '{t.Text}'");
        }
    }

    static Expr ParsePostfix(Cursor c, Expr node)
    {
        while (true)
        {
            var p = c.Pos;
            if (c.Accept("."))
            {
                var member = c.Next();
                node = member.Kind switch
                {
                    TokenKind.Name => new Attribute(node, member.Text, p),
                    TokenKind.Integer => new Index(node, new Literal(long.Parse(member.Text, CultureInfo.InvariantCulture), member.Pos), p),
                    _ => throw Error(member.Pos, $"expected a name after '.', found '{member.Text}'"),
                };
            }
            else if (c.Accept("[")) node = ParseSubscript(c, node, p);
            else if (c.PeekOperator("(")) node = ParseCall(c, node);
            else return node;
        }
    }

    static Expr ParseSubscript(Cursor c, Expr target, SourcePos p)
    {
        Expr? start = c.PeekOperator(":") ? null : ParseExpression(c);
        if (!c.Accept(":")) { c.Expect("]"); return new Index(target, start!, p); }
        Expr? stop = c.PeekOperator(":") || c.PeekOperator("]") ? null : ParseExpression(c);
        Expr? step = c.Accept(":") && !c.PeekOperator("]") ? ParseExpression(c) : null;
        c.Expect("]");
        return new SliceExpr(target, start, stop, step, p);
    }

    static Call ParseCall(Cursor c, Expr callee)
    {
        var p = c.Pos;
        var (args, kwargs) = ParseArguments(c);
        return new Call(callee, args, kwargs, p);
    }

    static (List<Expr>, List<(string, Expr)>) ParseArguments(Cursor c)
    {
        c.Expect("(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!c.PeekOperator(")"))
        {
            if (c.Peek is { Kind: TokenKind.Name } n && c.PeekOperator("=", 1)) { c.Next(); c.Next(); kwargs.Add((n.Text, ParseExpression(c))); }
            else if (kwargs.Count > 0) throw Error(c.Pos, "positional argument after a keyword argument");
            else args.Add(ParseExpression(c));
            if (!c.Accept(",")) break;
        }
        c.Expect(")");
        return (args, kwargs);
    }

    static Expr ParseFilters(Cursor c, Expr node)
    {
        while (true)
        {
            var p = c.Pos;
            if (c.Accept("|"))
            {
                var name = c.ExpectName();
                while (c.Accept(".")) name += "." + c.ExpectName();
                var (args, kwargs) = c.PeekOperator("(") ? ParseArguments(c) : ([], []);
                node = new FilterExpr(node, name, args, kwargs, p);
            }
            else if (c.AcceptKeyword("is"))
            {
                var negated = c.AcceptKeyword("not");
                var name = c.ExpectName();
                List<Expr> args = [];
                if (c.PeekOperator("(")) args = ParseArguments(c).Item1;
                else if (c.Peek is { Kind: TokenKind.String or TokenKind.Integer or TokenKind.Float }) args = [ParsePrimary(c)];
                node = new TestExpr(node, name, args, negated, p);
            }
            else if (c.PeekOperator("(")) node = ParseCall(c, node);
            else return node;
        }
    }

    static BadInputException Error(SourcePos pos, string message) => JinjaLexer.Error(pos, message);

    /// <summary>A read position over one tag's tokens (local to one parse).</summary>
    sealed class Cursor(IReadOnlyList<JinjaToken> tokens, SourcePos end, int start = 0)
    {
        int at = start;

        public bool AtEnd => at >= tokens.Count;
        public JinjaToken? Peek => at < tokens.Count ? tokens[at] : null;
        public SourcePos Pos => Peek?.Pos ?? end;

        public JinjaToken Next() => at < tokens.Count ? tokens[at++] : throw Error(end, "unexpected end of tag");

        public bool PeekOperator(string op, int ahead = 0) => at + ahead < tokens.Count && tokens[at + ahead] is { Kind: TokenKind.Operator } t && t.Text == op;
        public bool PeekKeyword(string word, int ahead = 0) => at + ahead < tokens.Count && tokens[at + ahead] is { Kind: TokenKind.Name } t && t.Text == word;

        public bool Accept(string op) { if (!PeekOperator(op)) return false; at++; return true; }
        public bool AcceptKeyword(string word) { if (!PeekKeyword(word)) return false; at++; return true; }

        public void Expect(string op) { if (!Accept(op)) throw Error(Pos, $"expected '{op}', found {Found}"); }
        public void ExpectKeyword(string word) { if (!AcceptKeyword(word)) throw Error(Pos, $"expected '{word}', found {Found}"); }
        public string ExpectName() => Peek is { Kind: TokenKind.Name } t ? Next().Text : throw Error(Pos, $"expected a name, found {Found}");

        string Found => Peek is { } t ? $"'{t.Text}'" : "the end of the tag";

        /// <summary>Requires that the tag has no tokens left; returns <paramref name="value"/>.</summary>
        public T Finish<T>(T value) => AtEnd ? value : throw Error(Pos, $"unexpected '{Peek!.Text}'");
    }
}
