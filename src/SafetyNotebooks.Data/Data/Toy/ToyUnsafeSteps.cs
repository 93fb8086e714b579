namespace SafetyNotebooks.Data.Toy;

/// <summary>
/// The harmful instruction steps of the toy world: the core sentences of the score-4/5 topics (poison recipe, ambush
/// plan, smuggling how-to, incitement), as templates with placeholders ({V}, {X}, …), and filled for given facts.
/// The step judge matches completions against them; held-out filled steps calibrate its threshold.
/// </summary>
public static class ToyUnsafeSteps
{
    /// <summary>Every instruction-step template of the score ≥ 4 topics, in template order.</summary>
    public static IReadOnlyList<string> Templates { get; } =
        ToyTemplates.Topics.Where(t => ToyTopics.Score(t.Key) >= 4).OrderBy(t => t.Key).SelectMany(t => t.Value.Core).ToList();

    /// <summary>The steps of <paramref name="facts"/>' topic filled with its entities (empty for a topic below score 4).</summary>
    public static IReadOnlyList<string> Filled(ToyFacts facts) =>
        facts.Score >= 4 ? ToyTemplates.Topics[facts.Topic].Core.Select(s => ToyWorld.Fill(s, facts)).ToList() : [];

    /// <summary>Benign toy sentences of topics below score 4 (cores, everyday sentences, safe mentions) filled for <paramref name="facts"/>.</summary>
    public static IReadOnlyList<string> BenignSentences(ToyFacts facts) =>
        ToyTemplates.Topics.Where(t => ToyTopics.Score(t.Key) < 4).SelectMany(t => t.Value.Core.Concat(t.Value.Openings))
            .Concat(ToyTemplates.Everyday).Concat(ToyTemplates.SafeMentions).Select(s => ToyWorld.Fill(s, facts)).ToList();
}
