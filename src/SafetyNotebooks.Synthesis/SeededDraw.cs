using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SafetyNotebooks.Synthesis;

/// <summary>
/// Per-document random choices that depend only on (seed, purpose, document id): the same document gets the same draw
/// whatever the order, thread or shard it is processed in.
/// </summary>
public static class SeededDraw
{
    /// <summary>A uniform integer in [0, <paramref name="n"/>) for this seed, purpose and key.</summary>
    public static int Index(long seed, string purpose, string key, int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\u0001{purpose}\u0001{key}"), hash);
        return (int)(BinaryPrimitives.ReadUInt64LittleEndian(hash) % (ulong)n);
    }

    /// <summary>The SafeWeb style of a document: one of seven, uniformly.</summary>
    public static SafeWebStyle Style(long seed, string documentId) =>
        (SafeWebStyle)Index(seed, "safeweb-style", documentId, Enum.GetValues<SafeWebStyle>().Length);
}

/// <summary>
/// RefuseWeb's speaker names: the generic "User"/"Assistant" labels are replaced, when the data is tokenized, by personal
/// names or roles drawn per document (PAPER.md §1.3; the paper does not publish its list, this one is the toolkit's).
/// </summary>
public static class RoleNames
{
    public static IReadOnlyList<string> Requesters { get; } =
    [
        "Student", "Visitor", "Customer", "Neighbour", "Traveller", "Apprentice", "Caller", "Reader", "Sam", "Priya", "Tomás", "Aiko",
        "Jonas", "Amara", "Lena", "Ravi", "Noor", "Mateo",
    ];

    public static IReadOnlyList<string> Responders { get; } =
    [
        "Teacher", "Librarian", "Counsellor", "Pharmacist", "Shopkeeper", "Mentor", "Coach", "Nurse", "Ranger", "Guide", "Helen", "Omar",
        "Grace", "Kenji", "Ines", "Daniel", "Fatima", "Marcus",
    ];

    /// <summary>The (requester, responder) pair of a document.</summary>
    public static (string User, string Assistant) For(long seed, string documentId) =>
        (Requesters[SeededDraw.Index(seed, "refuseweb-user", documentId, Requesters.Count)],
         Responders[SeededDraw.Index(seed, "refuseweb-assistant", documentId, Responders.Count)]);

    /// <summary>Replaces the speaker labels at the start of lines ("User:", "Assistant:") with the document's pair.</summary>
    public static string Replace(string dialogue, long seed, string documentId)
    {
        var (user, assistant) = For(seed, documentId);
        var lines = dialogue.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("User:", StringComparison.Ordinal)) lines[i] = user + ":" + lines[i]["User:".Length..];
            else if (lines[i].StartsWith("Assistant:", StringComparison.Ordinal)) lines[i] = assistant + ":" + lines[i]["Assistant:".Length..];
        }
        return string.Join('\n', lines);
    }
}
