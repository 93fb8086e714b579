using System.Reflection;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace SafetyNotebooks.Data;

/// <summary>Typed column reads and writes for any flat Parquet leaf, dispatched on the field's CLR type.</summary>
public static class ParquetValues
{
    /// <summary>The array type a column of <paramref name="field"/> is held in (see <see cref="ParquetColumn"/>).</summary>
    public static Type ArrayElementType(DataField field) =>
        LogicalType(field) is var t && (t == typeof(string) || t == typeof(byte[]) || !field.IsNullable)
            ? t
            : typeof(Nullable<>).MakeGenericType(t);

    /// <summary>The CLR type a column's values have in a batch: Parquet.Net 6 reports strings as <c>ReadOnlyMemory&lt;char&gt;</c> and binary as <c>ReadOnlyMemory&lt;byte&gt;</c>; the toolkit uses <c>string</c> and <c>byte[]</c>.</summary>
    public static Type LogicalType(DataField field) =>
        field.ClrType == typeof(ReadOnlyMemory<char>) ? typeof(string)
        : field.ClrType == typeof(ReadOnlyMemory<byte>) ? typeof(byte[])
        : field.ClrType;

    internal static Array NewArray(DataField field, int length) => Array.CreateInstance(ArrayElementType(field), length);

    internal static Array Take(Array values, IReadOnlyList<int> rows)
    {
        var result = Array.CreateInstance(values.GetType().GetElementType()!, rows.Count);
        for (var i = 0; i < rows.Count; i++) result.SetValue(values.GetValue(rows[i]), i);
        return result;
    }

    internal static async Task<Array> ReadAsync(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct)
    {
        var type = LogicalType(field);
        if (type == typeof(string))
        {
            using var raw = await rg.ReadRawColumnDataBaseAsync(field, ct);
            return Expand((RawColumnData<ReadOnlyMemory<char>>)raw, field, rows, static v => new string(v.Span));
        }
        if (type == typeof(byte[]))
        {
            using var raw = await rg.ReadRawColumnDataBaseAsync(field, ct);
            return Expand((RawColumnData<ReadOnlyMemory<byte>>)raw, field, rows, static v => v.ToArray());
        }
        var method = (field.IsNullable ? ReadNullableMethod : ReadRequiredMethod).MakeGenericMethod(field.ClrType);
        return await (Task<Array>)method.Invoke(null, [rg, field, rows, ct])!;
    }

    // Strings and binary are expanded from the raw values and definition levels, not with Parquet.Net 6.1's
    // ReadAsync(Memory<string?>): inside a struct that is present, that call returns a null member as "" or, after
    // another column was read, as a stale value of that column (e.g. the document text for a null metadata.url).
    // A value is present exactly where its definition level is the field's maximum (flat columns only); the raw
    // values hold the present ones in row order (the span may be longer: the tail is buffer, not data).
    static T?[] Expand<TRaw, T>(RawColumnData<TRaw> raw, DataField field, int rows, Func<TRaw, T> convert) where TRaw : struct where T : class
    {
        var result = new T?[rows];
        var values = raw.Values;
        if (field.MaxDefinitionLevel == 0)
        {
            if (values.Length < rows) throw new InvalidDataException($"expected {rows} values, got {values.Length}");
            for (var i = 0; i < rows; i++) result[i] = convert(values[i]);
            return result;
        }
        var levels = raw.DefinitionLevels;
        if (levels.Length != rows) throw new InvalidDataException($"expected {rows} definition levels, got {levels.Length}");
        var max = field.MaxDefinitionLevel;
        var k = 0;
        for (var i = 0; i < rows; i++)
            if (levels[i] == max)
            {
                if (k == values.Length) throw new InvalidDataException($"{values.Length} values for more defined rows");
                result[i] = convert(values[k++]);
            }
        return result;
    }

    internal static async Task WriteAsync(ParquetRowGroupWriter rg, DataField field, Array values, CancellationToken ct)
    {
        if (values.GetType().GetElementType() != ArrayElementType(field))
            throw new ArgumentException($"column '{Columns.DottedPath(field)}' holds {values.GetType().GetElementType()!.Name} values, expected {ArrayElementType(field).Name}");
        switch (values)
        {
            case string?[] s: await rg.WriteAsync(field, s!); return;
            case byte[]?[] b: await rg.WriteAsync(field, b!); return;
        }
        var method = (field.IsNullable ? WriteNullableMethod : WriteRequiredMethod).MakeGenericMethod(field.ClrType);
        await (Task)method.Invoke(null, [rg, field, values, ct])!;
    }

    static readonly MethodInfo ReadNullableMethod = typeof(ParquetValues).GetMethod(nameof(ReadNullable), BindingFlags.NonPublic | BindingFlags.Static)!;
    static readonly MethodInfo ReadRequiredMethod = typeof(ParquetValues).GetMethod(nameof(ReadRequired), BindingFlags.NonPublic | BindingFlags.Static)!;
    static readonly MethodInfo WriteNullableMethod = typeof(ParquetValues).GetMethod(nameof(WriteNullable), BindingFlags.NonPublic | BindingFlags.Static)!;
    static readonly MethodInfo WriteRequiredMethod = typeof(ParquetValues).GetMethod(nameof(WriteRequired), BindingFlags.NonPublic | BindingFlags.Static)!;

    static async Task<Array> ReadNullable<T>(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct) where T : struct
    {
        var a = new T?[rows];
        await rg.ReadAsync(field, a.AsMemory(), null, ct);
        return a;
    }

    static async Task<Array> ReadRequired<T>(ParquetRowGroupReader rg, DataField field, int rows, CancellationToken ct) where T : struct
    {
        var a = new T[rows];
        await rg.ReadAsync(field, a.AsMemory(), null, ct);
        return a;
    }

    static Task WriteNullable<T>(ParquetRowGroupWriter rg, DataField field, Array values, CancellationToken ct) where T : struct =>
        rg.WriteAsync(field, new ReadOnlyMemory<T?>((T?[])values), null, null, ct);

    static Task WriteRequired<T>(ParquetRowGroupWriter rg, DataField field, Array values, CancellationToken ct) where T : struct =>
        rg.WriteAsync(field, new ReadOnlyMemory<T>((T[])values), null, null, ct);
}
