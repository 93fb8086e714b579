using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SafetyNotebooks.Cli;

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int Cancelled = 130;
}

/// <summary>Shared plumbing for command actions: exit codes, error messages without stack traces, JSON output.</summary>
public static class Cli
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static readonly Option<bool> JsonOption = new("--json") { Description = "Print machine-readable JSON on stdout" };

    /// <summary>Wraps an action: <see cref="BadInputException"/> → 2, cancellation → 130, any other exception → 1, each with a one-line message (no exception names).</summary>
    public static void SetHandler(this Command command, Func<ParseResult, TextWriter, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancel) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                return await action(parse, output, cancel);
            }
            catch (BadInputException e)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
            catch (JobFailedException e)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                error.WriteLine("cancelled");
                return ExitCodes.Cancelled;
            }
            catch (Exception e) when (Environment.GetEnvironmentVariable("SAFETYNB_DEBUG") != "1")
            {
                error.WriteLine($"error: {e.Message}"); // a message for the user; SAFETYNB_DEBUG=1 shows the exception
                return ExitCodes.Failure;
            }
        });

    public static void SetHandler(this Command command, Func<ParseResult, TextWriter, int> action) =>
        command.SetHandler((p, o, _) => Task.FromResult(action(p, o)));

    public static void WriteJson<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Reads a comma-separated list of integers ("1,17,42"), naming the option on error.</summary>
    public static long[] ParseIds(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new BadInputException("expected a comma-separated list of integers", option, value: text);
        return parts.Select(p => long.TryParse(p, out var v) ? v : throw new BadInputException("not an integer", option, value: p)).ToArray();
    }
}

/// <summary>Range checks on options, through <see cref="Bounds"/>: a value out of range is a usage error (exit 2) naming the option and the value.</summary>
public static class OptionBounds
{
    public static Option<T> Within<T>(this Option<T> option, T min, T max) where T : System.Numerics.INumber<T> =>
        option.Check(v => Bounds.Within(v, min, max, option.Name));

    public static Option<T> AtLeast<T>(this Option<T> option, T min) where T : System.Numerics.INumber<T> =>
        option.Check(v => Bounds.AtLeast(v, min, option.Name));

    public static Option<T?> Within<T>(this Option<T?> option, T min, T max) where T : struct, System.Numerics.INumber<T> =>
        option.Check(v => { if (v is { } x) Bounds.Within(x, min, max, option.Name); return v; });

    public static Option<T?> AtLeast<T>(this Option<T?> option, T min) where T : struct, System.Numerics.INumber<T> =>
        option.Check(v => { if (v is { } x) Bounds.AtLeast(x, min, option.Name); return v; });

    static Option<T> Check<T>(this Option<T> option, Func<T, T> check)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 && result.Implicit) return; // the default is trusted
            try { check(result.GetValueOrDefault<T>()); }
            catch (BadInputException e) { result.AddError(e.Message); }
            catch (InvalidOperationException) { } // the value did not parse: System.CommandLine reports that itself
        });
        return option;
    }
}
