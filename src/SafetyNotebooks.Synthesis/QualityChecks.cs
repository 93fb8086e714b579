using System.Text.RegularExpressions;

namespace SafetyNotebooks.Synthesis;

/// <summary>Thresholds of the quality checks.</summary>
/// <param name="MinWords">Outputs with fewer words are rejected as too short.</param>
/// <param name="MaxCopiedFraction">Reject when more than this share of the output's 8-word sequences is taken from the source.</param>
public sealed record QualityOptions(int MinWords = 20, double MaxCopiedFraction = 0.5, int NGram = 8);

/// <summary>Accepted, or rejected with a reason kept next to the output.</summary>
public sealed record QualityVerdict(bool Accepted, string? Reason)
{
    public static QualityVerdict Ok { get; } = new(true, null);
    public static QualityVerdict Reject(string reason) => new(false, reason);
}

/// <summary>Checks a generated text against its source: empty, too short, the model declining the task, the source copied, the wrong form.</summary>
public static partial class QualityChecks
{
    public const string Empty = "empty";
    public const string TooShort = "too short";
    public const string DeclinedTask = "model declined the task";
    public const string Copied = "copies the source verbatim";
    public const string NotDialogue = "not a User/Assistant dialogue";
    public const string IsDialogue = "dialogue instead of an article";

    public static QualityVerdict Check(SynthesisTask task, string source, string? output, QualityOptions? options = null)
    {
        var o = options ?? new QualityOptions();
        if (string.IsNullOrWhiteSpace(output)) return QualityVerdict.Reject(Empty);
        if (DeclinesTask(output)) return QualityVerdict.Reject(DeclinedTask);
        var words = Words(output);
        if (words.Count < o.MinWords) return QualityVerdict.Reject($"{TooShort} ({words.Count} words < {o.MinWords})");
        var copied = CopiedFraction(source, output, o.NGram);
        if (copied > o.MaxCopiedFraction) return QualityVerdict.Reject($"{Copied} ({copied:P0} of its {o.NGram}-word sequences come from the source)");
        var speakers = SpeakerLine().Matches(output).Select(m => m.Groups[1].Value).ToHashSet();
        if (task == SynthesisTask.Refuse && !(speakers.Contains("User") && speakers.Contains("Assistant"))) return QualityVerdict.Reject(NotDialogue);
        if (task == SynthesisTask.Moral && speakers.Count > 0) return QualityVerdict.Reject(IsDialogue);
        return QualityVerdict.Ok;
    }

    /// <summary>True when the text opens by declining the assignment itself (as opposed to a dialogue in which a speaker declines).</summary>
    public static bool DeclinesTask(string output)
    {
        var head = output.TrimStart();
        head = head[..Math.Min(head.Length, 200)];
        return TaskRefusal().IsMatch(head);
    }

    /// <summary>
    /// Share of the output's word n-grams that occur in the source: how much of the answer is the input handed back.
    /// (A rewrite may legitimately reuse phrases — a moral article keeps the refusal's reasons — but not mostly consist of them.)
    /// </summary>
    public static double CopiedFraction(string source, string output, int n = 8)
    {
        var o = Words(output);
        if (o.Count < n) return string.Equals(source.Trim(), output.Trim(), StringComparison.Ordinal) ? 1 : 0;
        var srcGrams = NGrams(Words(source), n).ToHashSet();
        var outGrams = NGrams(o, n).ToList();
        return outGrams.Count(srcGrams.Contains) / (double)outGrams.Count;
    }

    static IEnumerable<string> NGrams(IReadOnlyList<string> w, int n)
    {
        for (var i = 0; i + n <= w.Count; i++) yield return string.Join(' ', w.Skip(i).Take(n));
    }

    static List<string> Words(string text) => WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value).ToList();

    [GeneratedRegex(@"[\p{L}\p{N}']+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"^(I'm sorry|I am sorry|Sorry,|I can(no|')t (help|assist|comply|do|rewrite|write|create|fulfil)|I cannot (help|assist|comply|do|rewrite|write|create|fulfil)|I won't|I will not|As an AI|I'm unable|I am unable|I must decline)", RegexOptions.IgnoreCase)]
    private static partial Regex TaskRefusal();

    [GeneratedRegex(@"^\s*(User|Assistant)\s*:", RegexOptions.Multiline)]
    private static partial Regex SpeakerLine();
}
