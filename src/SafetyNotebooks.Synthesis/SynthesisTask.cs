namespace SafetyNotebooks.Synthesis;

/// <summary>The three synthetic corpora of the paper (PAPER.md §1.2–1.4).</summary>
public enum SynthesisTask
{
    /// <summary>SafeWeb: a score 1–3 text rewritten for young readers in one of seven styles.</summary>
    Rephrase,
    /// <summary>RefuseWeb: a score 4–5 text turned into a User/Assistant dialogue in which the assistant declines and explains.</summary>
    Refuse,
    /// <summary>Moral Education: a RefuseWeb dialogue turned into a short third-person educational article.</summary>
    Moral,
}

/// <summary>The seven SafeWeb styles printed in the paper, drawn per document.</summary>
public enum SafeWebStyle { Podcast, Textbook, TeacherScript, TedTalk, ParentChild, Friends, YouTubeKids }

public static class SynthesisTasks
{
    /// <summary>Safety scores a task accepts as input.</summary>
    public static (int Min, int Max) Scores(SynthesisTask task) => task == SynthesisTask.Rephrase ? (1, 3) : (4, 5);

    /// <summary>The released dataset config name for outputs of <paramref name="task"/> from score-<paramref name="score"/> sources.</summary>
    public static string ConfigName(SynthesisTask task, int score) => task switch
    {
        SynthesisTask.Rephrase => $"score_{score}_rephrased",
        SynthesisTask.Refuse => $"score_{score}_refusal",
        _ => $"score_{score}_morals",
    };

    public static SynthesisTask Parse(string text, string option = "task") => text.Trim().ToLowerInvariant() switch
    {
        "rephrase" or "safeweb" => SynthesisTask.Rephrase,
        "refuse" or "refusal" or "refuseweb" => SynthesisTask.Refuse,
        "moral" or "morals" or "moral-education" => SynthesisTask.Moral,
        _ => throw new BadInputException("expected rephrase, refuse or moral", option, value: text),
    };
}
