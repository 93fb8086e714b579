namespace SafetyNotebooks.Evaluation;

/// <summary>
/// One answer option: the model scores log P(<see cref="Continuation"/> | <see cref="Context"/>). Most tasks share the
/// context and vary the continuation (ARC: the question, then each answer); Winogrande varies the context (the sentence
/// up to the blank, filled with each option) and shares the continuation.
/// </summary>
public sealed record McOption(string Context, string Continuation);

/// <summary>A multiple-choice item; <see cref="Delimiter"/> goes between context and continuation (lm-evaluation-harness's target delimiter).</summary>
public sealed record McItem(string Id, IReadOnlyList<McOption> Options, int Gold, string Delimiter = " ")
{
    /// <summary>The common case: one context, several continuations.</summary>
    public static McItem Shared(string id, string context, IReadOnlyList<string> choices, int gold, string delimiter = " ") =>
        new(id, choices.Select(c => new McOption(context, c)).ToList(), gold, delimiter);

    /// <summary>The item solved, as a few-shot example: the gold option's context, delimiter and continuation.</summary>
    public string Solved => Options[Gold].Context + Delimiter + Options[Gold].Continuation;
}

/// <summary>A multiple-choice task: a name, items, an optional description put before the shots, and an optional pool to draw shots from.</summary>
public sealed record McTask(string Name, IReadOnlyList<McItem> Items, string Description = "", IReadOnlyList<McItem>? ShotPool = null);
