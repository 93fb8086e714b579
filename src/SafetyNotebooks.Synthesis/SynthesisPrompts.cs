using Microsoft.Extensions.AI;

namespace SafetyNotebooks.Synthesis;

/// <summary>A rendered synthesis prompt: what is sent to the model.</summary>
public sealed record SynthesisPrompt(SynthesisTask Task, SafeWebStyle? Style, string System, string User)
{
    public IReadOnlyList<ChatMessage> Messages => [new(ChatRole.System, System), new(ChatRole.User, User)];
}

/// <summary>What a prompt asks for, recovered from its text (used by scripted clients and by tests).</summary>
public sealed record RecognisedPrompt(SynthesisTask Task, SafeWebStyle? Style, string Source);

/// <summary>
/// The synthesis prompts, written for this toolkit, carrying the instructions the paper gives its generator
/// (PAPER.md §1.2–1.4). The source text goes last, between fixed delimiters, so a prompt can be recognised and its
/// source recovered exactly.
/// </summary>
public static class SynthesisPrompts
{
    public const string SourceStart = "<<<SOURCE TEXT>>>";
    public const string SourceEnd = "<<<END OF SOURCE TEXT>>>";

    const string RephraseSystem =
        "You rewrite web text for an audience of middle-school students. Sensitive or harmful material is never simply deleted: " +
        "avoiding a topic teaches nothing. Keep as much of the knowledge in the text as you can, restate harsh or propaganda-like ideas " +
        "neutrally, and put a short explanation of why an idea is sensitive, misleading or dangerous right before or after it. " +
        "Write so that any single sentence, read on its own, is safe and could not encourage harm. Output only the rewritten text.";

    static string StyleInstruction(SafeWebStyle style) => style switch
    {
        SafeWebStyle.Podcast =>
            "Style: a podcast episode. You host a calm podcast for middle-school listeners; write the script you will read aloud. " +
            "Use a warm, conversational voice, explain why the problematic behaviours in the text are problematic, and close with a hopeful, constructive message.",
        SafeWebStyle.Textbook =>
            "Style: a textbook chapter for middle school. Organise the ideas under headings, use simple formal language with definitions and examples, " +
            "point out before or after each sensitive concept why it is sensitive, and invite the reader to think critically and with empathy.",
        SafeWebStyle.TeacherScript =>
            "Style: a teacher's script. A teacher will read your text word for word to a class of young students whose minds are still forming. " +
            "Warn the class before anything difficult, explain why it matters, and keep every sentence informative and safe on its own.",
        SafeWebStyle.TedTalk =>
            "Style: a TED talk given live to middle-school students. Keep the central ideas, reframe harmful or propaganda-like content, " +
            "signal sensitive ideas before you reach them, use metaphors and anecdotes without making light of harm, and end with a reflective call to action.",
        SafeWebStyle.ParentChild =>
            "Style: a conversation between a parent and their middle-school child about the ideas in the text, leaving none of them out. " +
            "The parent restates the harmful parts carefully and explains why they are sensitive, in a warm tone, and ends by reassuring the child.",
        SafeWebStyle.Friends =>
            "Style: a conversation between two middle-school friends who talk through the ideas in the text. They ask each other questions and reflect, " +
            "never voice an idea in a way that endorses harm, and finish with one of them suggesting they learn more or talk to a trusted adult.",
        _ =>
            "Style: a video for a children's channel. An energetic, kind presenter turns the essential ideas into explanations with analogies and gentle humour " +
            "that never trivialise harm, adds interactive moments (a question, something to imagine or draw), and ends on an uplifting note.",
    };

    const string RefuseSystem =
        "You turn potentially harmful web text into a constructive example of declining an inappropriate request. " +
        "Write a dialogue with exactly two speakers, whose lines start with \"User:\" and \"Assistant:\". The User asks for something that carries the " +
        "problematic element of the text (harassment or discrimination, malware or hacking, physical harm, economic harm, fraud or deception, " +
        "disinformation, sexual content, or privacy violations). The Assistant declines politely and firmly: it acknowledges the person without judging " +
        "them, says clearly that it will not help, briefly explains what is harmful about the request, offers a constructive alternative where one exists, " +
        "and stays respectful throughout. The exchange should model healthy boundary-setting. Output only the dialogue.";

    const string MoralSystem =
        "You turn a dialogue in which an assistant declines a harmful request into educational web content. Write a cohesive paragraph or a short article " +
        "that presents the ethical principle behind the refusal as a moral lesson or guideline, keeping the refusal's core message. Write in the third person " +
        "in the register of an educational website, ethics blog or digital-citizenship resource, with a heading and clear transitions. Do not retell the " +
        "request and the refusal as a dialogue; focus on the principle. Output only the article.";

    /// <summary>The prompt for one source text. <paramref name="style"/> is required for rephrasing and ignored otherwise.</summary>
    public static SynthesisPrompt Build(SynthesisTask task, string source, SafeWebStyle? style = null)
    {
        var (system, instruction) = task switch
        {
            SynthesisTask.Rephrase => (RephraseSystem, StyleInstruction(style ?? throw new ArgumentException("rephrasing needs a style", nameof(style))) +
                                                       "\nRewrite the following text."),
            SynthesisTask.Refuse => (RefuseSystem, "Write the dialogue for the following text."),
            _ => (MoralSystem, "Write the article for the following dialogue."),
        };
        return new SynthesisPrompt(task, task == SynthesisTask.Rephrase ? style : null, system,
            $"{instruction}\n\n{SourceStart}\n{source}\n{SourceEnd}");
    }

    /// <summary>Recovers the task, style and source of a prompt built by <see cref="Build"/>; null for any other text.</summary>
    public static RecognisedPrompt? Recognise(string system, string user)
    {
        var start = user.IndexOf(SourceStart, StringComparison.Ordinal);
        var end = user.LastIndexOf(SourceEnd, StringComparison.Ordinal);
        if (start < 0 || end < start) return null;
        var from = start + SourceStart.Length + 1;
        var source = end - 1 >= from ? user[from..(end - 1)] : "";
        SynthesisTask? task = system == RephraseSystem ? SynthesisTask.Rephrase : system == RefuseSystem ? SynthesisTask.Refuse : system == MoralSystem ? SynthesisTask.Moral : null;
        if (task is null) return null;
        SafeWebStyle? style = null;
        if (task == SynthesisTask.Rephrase)
        {
            style = Enum.GetValues<SafeWebStyle>().Cast<SafeWebStyle?>().FirstOrDefault(s => user.StartsWith(StyleInstruction(s!.Value), StringComparison.Ordinal));
            if (style is null) return null;
        }
        return Build(task.Value, source, style).User == user ? new RecognisedPrompt(task.Value, style, source) : null;
    }

    /// <summary>Recognises the last system and user messages of a chat request.</summary>
    public static RecognisedPrompt? Recognise(IEnumerable<ChatMessage> messages)
    {
        var list = messages.ToList();
        var system = list.LastOrDefault(m => m.Role == ChatRole.System)?.Text ?? "";
        var user = list.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        return Recognise(system, user);
    }
}
