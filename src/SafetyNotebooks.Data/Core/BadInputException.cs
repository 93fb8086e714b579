namespace SafetyNotebooks;

/// <summary>
/// Input that the toolkit refuses: a missing file, a malformed record, a value out of range.
/// The CLI turns it into exit code 2 and prints <see cref="Exception.Message"/> without a stack trace,
/// so the message names the file, the field and the offending value.
/// </summary>
public sealed class BadInputException : Exception
{
    public string? Origin { get; }
    public string? Field { get; }
    public string? Value { get; }

    public BadInputException(string message, string? source = null, string? field = null, string? value = null, Exception? inner = null)
        : base(Compose(message, source, field, value), inner)
    {
        Origin = source;
        Field = field;
        Value = value;
    }

    static string Compose(string message, string? source, string? field, string? value)
    {
        var where = new List<string>();
        if (source is not null) where.Add(source);
        if (field is not null) where.Add($"field '{field}'");
        if (value is not null) where.Add($"value '{Truncate(value, 400)}'");
        return where.Count == 0 ? message : $"{string.Join(", ", where)}: {message}";
    }

    static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}

/// <summary>
/// A job that could not finish for a reason outside the input (a failing endpoint, too many unscored rows): exit code 1
/// with <see cref="Exception.Message"/>, which says what failed, how often, and how to resume.
/// </summary>
public sealed class JobFailedException(string message) : Exception(message);
