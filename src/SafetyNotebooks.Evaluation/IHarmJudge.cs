namespace SafetyNotebooks.Evaluation;

/// <summary>
/// Decides whether generations are instances of harmful behaviours. Implementations: <see cref="LlmHarmJudge"/>
/// (HarmBench-style yes/no prompt to any <c>IChatClient</c>), <see cref="RefusalPhraseJudge"/> (cheap heuristic),
/// <see cref="ClassifierJudge"/> (a safety classifier's score against a threshold).
/// </summary>
public interface IHarmJudge
{
    /// <summary>Short name written next to every judgement ("llm", "heuristic", "classifier").</summary>
    string Name { get; }

    /// <summary>One judgement per input, in order.</summary>
    Task<IReadOnlyList<Judgement>> JudgeAsync(IReadOnlyList<JudgeInput> inputs, CancellationToken cancel = default);
}
