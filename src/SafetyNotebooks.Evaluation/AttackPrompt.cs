namespace SafetyNotebooks.Evaluation;

/// <summary>
/// One prompt of a safety evaluation. <see cref="Prompt"/> is what the model is given; <see cref="Behavior"/> is what a
/// judge checks the generation against. For base models (jb-completions) the prompt is the beginning of a harmful answer
/// (<c>completion_behavior</c>) and the behaviour is the original request (<c>original_behavior</c>); for behaviour lists
/// the two are the same request.
/// </summary>
public sealed record AttackPrompt(string Id, string Prompt, string Behavior, string Source, string? Category = null);
