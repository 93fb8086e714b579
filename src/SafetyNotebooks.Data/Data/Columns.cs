using Parquet.Schema;

namespace SafetyNotebooks.Data;

/// <summary>
/// Column names and Parquet fields of the released row schema (PAPER.md §4.1) and of the toolkit's extra columns.
/// Struct members are addressed with dotted paths (<c>metadata.url</c>) everywhere in the toolkit's API.
/// </summary>
public static class Columns
{
    public const string Id = "id";
    public const string Text = "text";
    public const string Metadata = "metadata";
    public const string SafetyScore = "safety_score";
    public const string SafetyScoreSource = "safety_score_source";
    public const string SafetyReason = "safety_reason";
    public const string TagCount = "tag_count";

    /// <summary>The members of the <c>metadata</c> struct in released order.</summary>
    public static IReadOnlyList<string> MetadataMembers { get; } =
        ["dump", "url", "date", "file_path", "language", "language_score", "token_count", "score", "int_score"];

    /// <summary>The <c>metadata</c> struct exactly as released (all members optional, <c>date</c> a timestamp).</summary>
    public static StructField MetadataField() => new(Metadata,
        new DataField<string>("dump", true),
        new DataField<string>("url", true),
        new DateTimeDataField("date", DateTimeFormat.Timestamp, isAdjustedToUTC: false, unit: DateTimeTimeUnit.Millis, isNullable: true),
        new DataField<string>("file_path", true),
        new DataField<string>("language", true),
        new DataField<double?>("language_score", true),
        new DataField<long?>("token_count", true),
        new DataField<double?>("score", true),
        new DataField<long?>("int_score", true));

    /// <summary>The released schema: <c>id</c>, <c>text</c>, <c>metadata{…}</c>.</summary>
    public static ParquetSchema Released() => new(new DataField<string>(Id, true), new DataField<string>(Text, true), MetadataField());

    /// <summary>The released schema plus the toolkit columns, as written by <see cref="Documents.WriteAsync(string, IAsyncEnumerable{Document}, DocumentWriteOptions?, CancellationToken)"/>.</summary>
    public static ParquetSchema Toolkit() => new(
        new DataField<string>(Id, true), new DataField<string>(Text, true), MetadataField(),
        new DataField<int?>(SafetyScore, true),
        new DataField<string>(SafetyScoreSource, true),
        new DataField<string>(SafetyReason, true),
        new DataField<int?>(TagCount, true));

    /// <summary>The dotted path of a Parquet field (<c>metadata.url</c>).</summary>
    public static string DottedPath(DataField field) => string.Join('.', field.Path.ToList());
}
