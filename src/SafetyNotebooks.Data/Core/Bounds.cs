using System.Globalization;
using System.Numerics;

namespace SafetyNotebooks;

/// <summary>
/// The one validation layer for sizes and ranges, shared by command-line options and configuration files: a value
/// outside its range is refused with a message naming where it came from (file or option), the field and the value,
/// and every size that turns into memory is checked against what this machine has before anything is allocated.
/// </summary>
public static class Bounds
{
    /// <summary>Bootstrap resamples at most (each costs a pass over the data and 8 bytes of state).</summary>
    public const int MaxResamples = 1_000_000;

    /// <summary>Largest single tensor or buffer the toolkit will try to allocate: the memory this process may use.</summary>
    public static long MemoryBytes => Math.Max(1L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    public static T Within<T>(T value, T min, T max, string source, string? field = null) where T : INumber<T> =>
        value >= min && value <= max ? value : throw Refuse($"must be between {Text(min)} and {Text(max)}", value, source, field);

    public static T AtLeast<T>(T value, T min, string source, string? field = null) where T : INumber<T> =>
        value >= min ? value : throw Refuse($"must be at least {Text(min)}", value, source, field);

    public static T Positive<T>(T value, string source, string? field = null) where T : INumber<T> =>
        value > T.Zero ? value : throw Refuse("must be positive", value, source, field);

    /// <summary>Refuses a size whose <paramref name="bytes"/> would not fit in this machine's memory (before libtorch or the GC tries).</summary>
    public static void FitsInMemory(double bytes, string what, string source, string field, string value)
    {
        if (double.IsFinite(bytes) && bytes <= MemoryBytes) return;
        throw new BadInputException($"{what} would need {Gib(bytes)} but this machine has {Gib(MemoryBytes)}", source, field, value);
    }

    static BadInputException Refuse<T>(string why, T value, string source, string? field) where T : INumber<T> =>
        field is null ? new BadInputException(why, source, value: Text(value)) : new BadInputException(why, source, field, Text(value));

    static string Text<T>(T v) where T : INumber<T> => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";

    static string Gib(double bytes) => double.IsFinite(bytes) ? $"{bytes / (1L << 30):0.#} GiB" : "an unbounded amount of memory";
}
