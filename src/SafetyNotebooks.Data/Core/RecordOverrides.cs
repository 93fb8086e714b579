using System.Globalization;
using System.Reflection;

namespace SafetyNotebooks;

/// <summary>
/// <c>name=value</c> overrides of an options record's properties (what the CLI's <c>--set</c> passes): names in
/// snake_case, kebab-case or as written (<c>train_steps</c>, <c>train-steps</c>, <c>TrainSteps</c>), values converted to
/// the property's type with the invariant culture. An unknown name (the known ones are listed) or a value of the wrong
/// type is a <see cref="BadInputException"/> naming both.
/// </summary>
public static class RecordOverrides
{
    public static T Apply<T>(T options, IEnumerable<string> assignments) where T : class
    {
        var result = options;
        foreach (var assignment in assignments)
        {
            var eq = assignment.IndexOf('=');
            if (eq <= 0) throw new BadInputException("expected name=value", "--set", value: assignment);
            var name = assignment[..eq].Trim();
            var text = assignment[(eq + 1)..].Trim();
            var key = name.Replace("_", "").Replace("-", "");
            var property = Settable<T>().FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase))
                ?? throw new BadInputException($"unknown option (known: {string.Join(", ", Names<T>())})", "--set", name, text);
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object? value;
            try
            {
                value = text.Length == 0 && type == typeof(string) ? null : Convert.ChangeType(text, type, CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
            {
                throw new BadInputException($"not a valid {type.Name}", "--set", name, text);
            }
            // records are immutable: copy through the compiler's clone, then set the init-only property on the copy
            var copy = (T)typeof(T).GetMethod("<Clone>$")!.Invoke(result, null)!;
            property.SetValue(copy, value);
            result = copy;
        }
        return result;
    }

    /// <summary>The names <see cref="Apply{T}"/> accepts for <typeparamref name="T"/>, in snake_case.</summary>
    public static IReadOnlyList<string> Names<T>() =>
        Settable<T>().Select(p => string.Concat(p.Name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()))).ToList();

    static IEnumerable<PropertyInfo> Settable<T>() => typeof(T).GetProperties().Where(p => p.CanWrite && p.Name != "EqualityContract");
}
