using System.Text;
using System.Text.Json;

namespace SafetyNotebooks;

/// <summary>
/// The one place text is cleaned of secrets (API keys, bearer tokens) before it is shown, logged or written: a server
/// may echo the Authorization header back in any body, so every message and answer from a keyed client passes here.
/// Each secret is masked in the forms a server is likely to echo it in: as is, JSON-escaped, URL-encoded and base64.
/// </summary>
public sealed record Redactor(IReadOnlyList<string> Forms)
{
    public const string Mask = "[REDACTED]";

    /// <summary>Environment variables that hold keys or tokens the toolkit may send (their values are always masked).</summary>
    public static readonly IReadOnlyList<string> KeyVariables = ["OPENAI_API_KEY", "SAFETYNB_LLM_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"];

    public static readonly Redactor None = new([]);

    /// <summary>A redactor for <paramref name="secrets"/> (null and empty ones are ignored).</summary>
    public static Redactor Of(IEnumerable<string?> secrets) =>
        new(secrets.Where(s => !string.IsNullOrEmpty(s)).SelectMany(s => EchoForms(s!)).Distinct().OrderByDescending(f => f.Length).ToList());

    public static Redactor Of(params string?[] secrets) => Of(secrets.AsEnumerable());

    /// <summary>The values of <see cref="KeyVariables"/> and of <paramref name="extraVariables"/> in the environment.</summary>
    public static Redactor FromEnvironment(IEnumerable<string> extraVariables, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        return Of(KeyVariables.Concat(extraVariables).Distinct().Select(env));
    }

    public Redactor With(Redactor other) => new(Forms.Concat(other.Forms).Distinct().OrderByDescending(f => f.Length).ToList());

    public bool IsEmpty => Forms.Count == 0;

    public bool Reveals(string? text) => text is not null && Forms.Any(f => text.Contains(f, StringComparison.Ordinal));

    public string Redact(string text) => Reveals(text) ? Forms.Aggregate(text, (t, f) => t.Replace(f, Mask, StringComparison.Ordinal)) : text;

    /// <summary>
    /// <paramref name="e"/> itself when no message in its chain reveals a secret; otherwise an exception of the same
    /// meaning whose message is masked and which keeps no reference to the original (so nothing can print it later).
    /// </summary>
    public Exception Redact(Exception e)
    {
        if (!Chain(e).Any(x => Reveals(x.Message))) return e;
        var message = Redact(e.Message);
        return e switch
        {
            BadInputException b => new BadInputException(message),
            OperationCanceledException => new OperationCanceledException(message),
            TimeoutException => new TimeoutException(message),
            HttpRequestException h => new HttpRequestException(message, null, h.StatusCode),
            _ => new RedactedException(e.GetType().Name, message),
        };
    }

    static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
        if (e is AggregateException a) foreach (var inner in a.InnerExceptions) yield return inner;
    }

    static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static IEnumerable<string> EchoForms(string secret)
    {
        yield return secret;
        yield return JsonSerializer.Serialize(secret)[1..^1];
        yield return JsonSerializer.Serialize(secret, RelaxedJson)[1..^1];
        yield return Uri.EscapeDataString(secret);
        yield return Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)).TrimEnd('=');
    }
}

/// <summary>An error whose message held a secret: the original type name and the masked message, nothing else.</summary>
public sealed class RedactedException(string originalType, string message) : Exception(message)
{
    public string OriginalType { get; } = originalType;
}

/// <summary>A writer that masks secrets line by line (a secret split across two <c>Write</c> calls is still caught).</summary>
public sealed class RedactingTextWriter(TextWriter inner, Redactor redactor) : TextWriter
{
    readonly StringBuilder _line = new();
    readonly Lock _gate = new();

    /// <summary>The writer the masked text goes to (the CLI asks whether it is the terminal).</summary>
    public TextWriter Inner => inner;

    /// <summary>Whether <see cref="Inner"/> is an interactive terminal (the entry point knows; a test's writer is not).</summary>
    public bool IsTerminal { get; init; }

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        lock (_gate)
        {
            _line.Append(value);
            if (value is '\n' or '\r') FlushLine();
        }
    }

    public override void Write(string? value)
    {
        if (value is null) return;
        lock (_gate)
        {
            _line.Append(value);
            if (value.AsSpan().IndexOfAny('\n', '\r') >= 0) FlushLine();
        }
    }

    public override void Flush()
    {
        lock (_gate) FlushLine();
        inner.Flush();
    }

    void FlushLine()
    {
        if (_line.Length == 0) return;
        inner.Write(redactor.Redact(_line.ToString()));
        _line.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Flush();
        base.Dispose(disposing);
    }
}
