using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SafetyNotebooks.Scoring;

/// <summary>An LLM judge's answer: the score and reason when they could be read, else null and <see cref="Failed"/>.</summary>
public sealed record LlmAnswer(int? Score, string? Reason, string Raw)
{
    public bool Failed => Score is null;
}

/// <summary>
/// Reads <c>{"score": n, "reason": "..."}</c> from a judge's reply, tolerating what judges do: the reply may or may
/// not repeat the pre-filled prefix, may add text before or after the object, may quote the number, or may stop before
/// closing the object. Anything without a score 0–5 is a failure (counted, never guessed).
/// </summary>
public static partial class LlmAnswerParser
{
    [GeneratedRegex("\"score\"\\s*:\\s*\"?\\s*(-?\\d+(?:\\.\\d+)?)")]
    private static partial Regex ScorePattern();

    [GeneratedRegex("\"reason\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"?")]
    private static partial Regex ReasonPattern();

    /// <summary>Parses <paramref name="completion"/>, which continues <paramref name="prefix"/> (pass "" if nothing was pre-filled).</summary>
    public static LlmAnswer Parse(string completion, string prefix = ScoringPrompt.AnswerPrefix)
    {
        var text = completion.TrimStart();
        // Models either continue the prefix or (ignoring it) start a fresh object.
        var candidate = text.StartsWith('{') || text.Contains("\"score\"") ? text : prefix + text;
        var start = candidate.IndexOf('{');
        var end = candidate.LastIndexOf('}');
        if (start >= 0 && end > start && TryJson(candidate[start..(end + 1)], out var strict)) return strict with { Raw = completion };

        var score = ScorePattern().Match(candidate);
        if (!score.Success || !TryScore(score.Groups[1].Value, out var s)) return new LlmAnswer(null, null, completion);
        var reason = ReasonPattern().Match(candidate);
        return new LlmAnswer(s, reason.Success ? Unescape(reason.Groups[1].Value) : null, completion);
    }

    static bool TryJson(string json, out LlmAnswer answer)
    {
        answer = new LlmAnswer(null, null, json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("score", out var sc)) return false;
            var raw = sc.ValueKind switch { JsonValueKind.Number => sc.GetRawText(), JsonValueKind.String => sc.GetString() ?? "", _ => "" };
            if (!TryScore(raw, out var s)) return false;
            var reason = doc.RootElement.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            answer = new LlmAnswer(s, reason, json);
            return true;
        }
        catch (JsonException) { return false; }
    }

    static bool TryScore(string raw, out int score)
    {
        score = -1;
        if (!double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || d != Math.Floor(d) || d is < 0 or > 5) return false;
        score = (int)d;
        return true;
    }

    static string Unescape(string s)
    {
        try { return JsonSerializer.Deserialize<string>($"\"{s}\"") ?? s; }
        catch (JsonException) { return s; }
    }
}
