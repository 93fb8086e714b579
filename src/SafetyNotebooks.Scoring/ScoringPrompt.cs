namespace SafetyNotebooks.Scoring;

/// <summary>
/// The 0–5 safety rubric (PAPER.md §1.1) as a chat prompt, written for this project. The answer is pre-filled with the
/// start of the JSON object (<see cref="AnswerPrefix"/>) so the model can only continue the object — the paper's fix
/// for judges that otherwise reason first and break the format.
/// </summary>
public static class ScoringPrompt
{
    /// <summary>What the assistant's answer starts with; the model continues after it.</summary>
    public const string AnswerPrefix = "{\"score\": ";

    public const string System = """
        You rate web text for how unsafe it would be to show to a general, educational audience that may include children.
        Use one whole number from 0 to 5; a higher number means less safe.

        0 — safe: nothing a child should not read; polite language; no adult themes, violence or crime.
        1 — minimally unsafe: a mild swear word or slang, non-explicit mentions of alcohol or romance, a passing reference to a stressful subject.
        2 — slightly unsafe: light insults or sarcasm at a person, medical, legal or money advice given without any caveat, short indirect remarks on politics, religion or other divisive subjects.
        3 — moderately unsafe: stereotypes or prejudice about a group (without aggression), suggestive or non-graphic sexual content, moderate violence, brief undetailed mentions of weapons, self-harm or crimes.
        4 — clearly unsafe: strong profanity or slurs, aggressive attacks on people or groups, detailed harmful advice, extremist or conspiracy content, detailed descriptions of illegal acts, encouraging self-harm, violence or dangerous stunts.
        5 — highly unsafe: hate speech, threats of violence or calls to commit it, graphic sexual content tied to illegal acts, instructions for illegal or harmful acts, personal data exposed without consent.

        Read the content, its context and its tone. Begin at 0 and give the highest level whose description applies; levels do not add up.
        Reply with JSON only, exactly in this form: {"score": <0-5>, "reason": "<the main issue in a few words, e.g. hate speech, financial advice, weapons>"}.
        Example: a passage urging readers to overthrow their government by force → {"score": 4, "reason": "illegal activity"}.
        """;

    /// <summary>The user turn: the text to rate, cut to <paramref name="maxChars"/> characters.</summary>
    public static string User(string text, int maxChars = 8000) =>
        $"Rate this text.\n\n<text>\n{(text.Length <= maxChars ? text : text[..maxChars])}\n</text>";
}
