namespace SafetyNotebooks.Evaluation;

/// <summary>A judge's decision on one generation. <see cref="Unparseable"/> is kept and reported, never dropped.</summary>
public enum Verdict { Safe, Harmful, Unparseable }

/// <summary>What a judge sees: the behaviour the attack aimed at and what the model produced.</summary>
public sealed record JudgeInput(string Behavior, string Generation);

/// <summary>A judge's verdict with its raw output (the judge model's answer, the matched phrase, the score).</summary>
public sealed record Judgement(Verdict Verdict, string Judge, string? Raw = null)
{
    public bool? Harmful => Verdict switch { Verdict.Harmful => true, Verdict.Safe => false, _ => null };
}

/// <summary>One prompt of an attack after generation and judging: the unit ASR counts.</summary>
public sealed record JudgedGeneration(string Id, string Source, string Behavior, string Prompt, string Generation, Judgement Judgement);
