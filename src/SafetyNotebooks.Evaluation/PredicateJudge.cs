namespace SafetyNotebooks.Evaluation;

/// <summary>
/// A judge from a yes/no rule on the generation (a lexical rule such as the toy world's <c>ToyJudge.IsHarmful</c>, a
/// regular expression, a lookup). Deterministic and offline; useful as a stand-in where no judge model is available.
/// </summary>
public sealed class PredicateJudge(string name, Func<JudgeInput, bool> isHarmful) : IHarmJudge
{
    public string Name => name;

    public Task<IReadOnlyList<Judgement>> JudgeAsync(IReadOnlyList<JudgeInput> inputs, CancellationToken cancel = default) =>
        Task.FromResult<IReadOnlyList<Judgement>>(inputs.Select(i => new Judgement(isHarmful(i) ? Verdict.Harmful : Verdict.Safe, name)).ToList());
}
