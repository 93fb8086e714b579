using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace SafetyNotebooks.Tagging;

/// <summary>A tagged document: its text and how many tags were inserted.</summary>
public readonly record struct TaggedText(string Text, int TagCount);

/// <summary>
/// Algorithm 1 of the paper (harmfulness-tag annotation), with issue 4's exact semantics so that every implementation
/// produces the same bytes: words are maximal runs of non-ASCII-whitespace bytes; word 1 gets no draw; each later
/// word draws u from SplitMix64 seeded with <c>seed ⊕ FNV-1a-64(id)</c>, and gets <c>TAG + " "</c> before its first
/// byte when u &lt; p. The result depends only on (text, id, seed, p, tag).
/// </summary>
public static class HarmfulnessTagger
{
    /// <summary>The per-document key: FNV-1a-64 of the id's UTF-8 bytes.</summary>
    public static ulong DocumentKey(ReadOnlySpan<byte> id) => Fnv1a64.Hash(id);

    public static ulong DocumentKey(string id)
    {
        var max = Encoding.UTF8.GetMaxByteCount(id.Length);
        if (max <= 1024)
        {
            Span<byte> buffer = stackalloc byte[max];
            return Fnv1a64.Hash(buffer[..Encoding.UTF8.GetBytes(id, buffer)]);
        }
        return Fnv1a64.Hash(Encoding.UTF8.GetBytes(id));
    }

    /// <summary>
    /// Tags one unsafe document's UTF-8 <paramref name="text"/> into <paramref name="output"/>; returns the number of
    /// tags inserted. Allocation-free: untouched runs are copied in bulk, one tag write per hit.
    /// </summary>
    // Optimised from its first call: tiered compilation would run the corpus's first documents (seconds of a job)
    // through unoptimised and instrumented versions of this loop, with the generator not inlined.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Tag(ReadOnlySpan<byte> text, ulong documentKey, TagPlan plan, IBufferWriter<byte> output)
    {
        if (plan.Threshold == 0)
        {
            output.Write(text);
            return 0;
        }
        // The walk over word starts is written out here (rather than through WordStartWalker) so that the block
        // mask, the start bits and the generator all stay in registers: this loop is the whole cost of tagging.
        var rng = new SplitMix64(plan.Seed ^ documentKey);
        var threshold = plan.Threshold;
        ReadOnlySpan<byte> tag = plan.TagWithSpace;
        ref var origin = ref MemoryMarshal.GetReference(text);
        int copied = 0, count = 0;
        var first = true;                          // word 1 makes no draw
        ulong carry = 1;                           // the text's start counts as whitespace
        for (var block = 0; block < text.Length; block += 64)
        {
            var ws = text.Length - block >= 64
                ? AsciiWhitespace.Mask64(ref Unsafe.Add(ref origin, block))
                : AsciiWhitespace.TailMask(text[block..]);
            var starts = ~ws & ((ws << 1) | carry);
            carry = ws >> 63;
            if (first && starts != 0)
            {
                starts &= starts - 1;
                first = false;
            }
            for (; starts != 0; starts &= starts - 1)
            {
                if ((rng.Next() >> 11) >= threshold) continue;
                var at = block + BitOperations.TrailingZeroCount(starts);
                output.Write(text[copied..at]);
                output.Write(tag);
                copied = at;
                count++;
            }
        }
        output.Write(text[copied..]);
        return count;
    }

    /// <summary>
    /// Tags a document when its <paramref name="score"/> reaches the plan's threshold; otherwise copies it and makes
    /// no draws. Returns the tag count.
    /// </summary>
    public static int TagDocument(ReadOnlySpan<byte> text, ReadOnlySpan<byte> id, int score, TagPlan plan, IBufferWriter<byte> output)
    {
        if (!plan.Applies(score))
        {
            output.Write(text);
            return 0;
        }
        return Tag(text, DocumentKey(id), plan, output);
    }

    /// <summary>String convenience over <see cref="Tag(ReadOnlySpan{byte}, ulong, TagPlan, IBufferWriter{byte})"/> (always tags).</summary>
    public static TaggedText Tag(string text, string id, TagOptions options) => Tag(text, id, TagPlan.From(options));

    public static TaggedText Tag(string text, string id, TagPlan plan)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var output = new ArrayBufferWriter<byte>(bytes.Length + 64);
        var count = Tag(bytes, DocumentKey(id), plan, output);
        return new TaggedText(count == 0 ? text : Encoding.UTF8.GetString(output.WrittenSpan), count);
    }

    /// <summary>String convenience: tags when <paramref name="score"/> ≥ the minimum score, else returns the text unchanged.</summary>
    public static TaggedText TagDocument(string text, string id, int score, TagPlan plan) =>
        plan.Applies(score) ? Tag(text, id, plan) : new TaggedText(text, 0);
}
