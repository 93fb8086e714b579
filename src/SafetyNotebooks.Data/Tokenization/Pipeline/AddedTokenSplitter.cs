namespace SafetyNotebooks.Tokenization;

/// <summary>
/// Finds added tokens in text as the Rust library does (leftmost, then longest match): each match appends its id, the
/// text between matches goes to a callback. A token with lstrip (rstrip) swallows the whitespace on its left (right).
/// A trie keyed by characters keeps this linear in the text for thousands of tokens (Gemma has 6,400).
/// </summary>
public sealed class AddedTokenSplitter
{
    sealed class Node
    {
        public Dictionary<char, Node>? Next;
        public AddedToken? Token;
    }

    readonly Node root = new();
    readonly bool empty;

    public AddedTokenSplitter(IEnumerable<(string Content, AddedToken Token)> tokens)
    {
        empty = true;
        foreach (var (content, token) in tokens)
        {
            if (content.Length == 0) continue;
            var node = root;
            foreach (var c in content)
            {
                node.Next ??= [];
                if (!node.Next.TryGetValue(c, out var child)) node.Next[c] = child = new Node();
                node = child;
            }
            node.Token ??= token; // the first token with this content wins
            empty = false;
        }
    }

    /// <summary>Appends the ids of matches to <paramref name="ids"/>; <paramref name="gap"/>(start, length) gets the non-empty text between them.</summary>
    public void Split(string text, List<int> ids, Action<int, int> gap)
    {
        var at = 0;
        if (!empty)
            for (var i = 0; i < text.Length; i++)
            {
                if (Longest(text, i) is not var (token, length)) continue;
                var (start, end) = token.Swallow(text, at, i, length);
                if (start > at) gap(at, start - at);
                ids.Add(token.Id);
                at = end;
                i = end - 1;
            }
        if (at < text.Length) gap(at, text.Length - at);
    }

    (AddedToken Token, int Length)? Longest(string text, int start)
    {
        var node = root;
        (AddedToken, int)? best = null;
        for (var i = start; i < text.Length && node.Next is not null && node.Next.TryGetValue(text[i], out var child); i++)
        {
            node = child;
            if (node.Token is { } t) best = (t, i + 1 - start);
        }
        return best;
    }
}
