namespace SafetyNotebooks.Data;

/// <summary>
/// The FineWeb-Edu row metadata carried by every released Safety Pretraining dataset
/// (refuseweb, moral_education, safeweb, fineweb_annotated). <see cref="Score"/> and <see cref="IntScore"/> are the
/// FineWeb-Edu <em>educational</em> scores, not safety scores.
/// </summary>
public sealed record DocumentMetadata(
    string? Dump = null,
    string? Url = null,
    DateTime? Date = null,
    string? FilePath = null,
    string? Language = null,
    double? LanguageScore = null,
    long? TokenCount = null,
    double? Score = null,
    long? IntScore = null);

/// <summary>Where a <see cref="Document.SafetyScore"/> came from (the <c>safety_score_source</c> column).</summary>
public static class SafetyScoreSources
{
    public const string Classifier = "classifier";
    public const string Llm = "llm";
    public const string Ensemble = "ensemble";
    /// <summary>Ground truth of a generated toy-world document.</summary>
    public const string Toy = "toy";

    public static IReadOnlyList<string> All { get; } = [Classifier, Llm, Ensemble, Toy];
}

/// <summary>
/// One row of a corpus in the released schema (<c>id</c>, <c>text</c>, <c>metadata{…}</c>) plus the toolkit's own
/// top-level nullable columns (<c>safety_score</c>, <c>safety_score_source</c>, <c>safety_reason</c>, <c>tag_count</c>).
/// Files written from documents stay readable by pyarrow and Hugging Face <c>datasets</c>: the extra columns are plain
/// optional columns next to the released ones.
/// </summary>
/// <param name="Id">Row id (FineWeb's <c>&lt;urn:uuid:…&gt;</c> style, or <c>toy-SEED-INDEX</c> for the toy world).</param>
/// <param name="Text">The document text.</param>
/// <param name="Metadata">The FineWeb-Edu metadata struct; null when the file has no <c>metadata</c> column.</param>
/// <param name="SafetyScore">Safety score 0 (safe) … 5 (highly unsafe) of the paper's rubric, when known.</param>
/// <param name="SafetyScoreSource">One of <see cref="SafetyScoreSources"/>.</param>
/// <param name="SafetyReason">The short reason the scorer gave ("hate speech", "WMD", …).</param>
/// <param name="TagCount">How many harmfulness tags the tagger inserted into <see cref="Text"/>.</param>
public sealed record Document(
    string Id,
    string Text,
    DocumentMetadata? Metadata = null,
    int? SafetyScore = null,
    string? SafetyScoreSource = null,
    string? SafetyReason = null,
    int? TagCount = null)
{
    /// <summary>UTF-8 size of <see cref="Text"/> in bytes.</summary>
    public int TextBytes => System.Text.Encoding.UTF8.GetByteCount(Text);
}
