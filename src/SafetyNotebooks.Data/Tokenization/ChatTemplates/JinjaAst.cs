namespace SafetyNotebooks.Tokenization.ChatTemplates;

/// <summary>An expression of the Jinja subset; every node knows where it was written.</summary>
public abstract record Expr(SourcePos Pos);
public sealed record Literal(object? Value, SourcePos Pos) : Expr(Pos);
public sealed record Name(string Identifier, SourcePos Pos) : Expr(Pos);
public sealed record ListLiteral(IReadOnlyList<Expr> Items, SourcePos Pos) : Expr(Pos);
public sealed record DictLiteral(IReadOnlyList<(Expr Key, Expr Value)> Entries, SourcePos Pos) : Expr(Pos);
public sealed record Attribute(Expr Target, string Member, SourcePos Pos) : Expr(Pos);
public sealed record Index(Expr Target, Expr Key, SourcePos Pos) : Expr(Pos);
public sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, SourcePos Pos) : Expr(Pos);
public sealed record Call(Expr Callee, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs, SourcePos Pos) : Expr(Pos);
public sealed record FilterExpr(Expr Target, string Filter, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs, SourcePos Pos) : Expr(Pos);
public sealed record TestExpr(Expr Target, string Test, IReadOnlyList<Expr> Args, bool Negated, SourcePos Pos) : Expr(Pos);
public sealed record Unary(string Op, Expr Operand, SourcePos Pos) : Expr(Pos);
public sealed record Binary(string Op, Expr Left, Expr Right, SourcePos Pos) : Expr(Pos);
public sealed record Conditional(Expr Condition, Expr Then, Expr? Else, SourcePos Pos) : Expr(Pos);

/// <summary>A statement (template node) of the Jinja subset.</summary>
public abstract record Node(SourcePos Pos);
public sealed record TextNode(string Text, SourcePos Pos) : Node(Pos);
public sealed record OutputNode(Expr Value, SourcePos Pos) : Node(Pos);
public sealed record IfNode(IReadOnlyList<(Expr Condition, IReadOnlyList<Node> Body)> Branches, IReadOnlyList<Node> Else, SourcePos Pos) : Node(Pos);
public sealed record ForNode(IReadOnlyList<string> Targets, Expr Iterable, Expr? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node> Else, SourcePos Pos) : Node(Pos);
/// <summary><c>{% set name = value %}</c>, or <c>{% set ns.member = value %}</c> on a namespace when <paramref name="Member"/> is set.</summary>
public sealed record SetNode(string Target, string? Member, Expr Value, SourcePos Pos) : Node(Pos);
public sealed record LoopControlNode(bool IsBreak, SourcePos Pos) : Node(Pos);
