using System.Text;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Evaluation;

/// <summary>
/// UTF-8 bytes as tokens (ids 0–255) plus one special token <c>&lt;s&gt;</c> (id 256) that starts and ends documents.
/// The tokenizer of the n-gram baseline; byte-level scoring makes <c>acc_norm</c>'s per-byte normalisation exact.
/// </summary>
public sealed class ByteTokenizer : ITextTokenizer
{
    public const string Boundary = "<s>";
    public const int BoundaryId = 256;

    public int VocabSize => 257;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        var ids = new List<int>(text.Length + 2);
        if (addSpecialTokens) ids.Add(BoundaryId);
        var parts = text.Split(Boundary);
        for (var p = 0; p < parts.Length; p++)
        {
            if (p > 0) ids.Add(BoundaryId);
            foreach (var b in Encoding.UTF8.GetBytes(parts[p])) ids.Add(b);
        }
        return ids;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var sb = new StringBuilder();
        var bytes = new List<byte>();
        void Flush() { sb.Append(Encoding.UTF8.GetString(bytes.ToArray())); bytes.Clear(); }
        foreach (var id in ids)
        {
            if (id == BoundaryId)
            {
                Flush();
                if (!skipSpecialTokens) sb.Append(Boundary);
            }
            else if (id is >= 0 and < 256) bytes.Add((byte)id);
            else throw new ArgumentOutOfRangeException(nameof(ids), id, "not a byte-tokenizer id");
        }
        Flush();
        return sb.ToString();
    }

    public int? TokenToId(string token) =>
        token == Boundary ? BoundaryId
        : Encoding.UTF8.GetBytes(token) is { Length: 1 } b ? b[0] : null;
}
