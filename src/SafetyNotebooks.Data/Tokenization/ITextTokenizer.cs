namespace SafetyNotebooks.Tokenization;

/// <summary>A tokenizer with Hugging Face semantics (loaded from tokenizer.json).</summary>
public interface ITextTokenizer
{
    /// <summary>Vocabulary size including added tokens.</summary>
    int VocabSize { get; }

    /// <summary>Token ids of <paramref name="text"/>; special tokens written in the text map to their single ids.</summary>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false);

    /// <summary>Text of <paramref name="ids"/>; special tokens are kept unless <paramref name="skipSpecialTokens"/>.</summary>
    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false);

    /// <summary>The id of a token (special or regular), or null when it is not in the vocabulary.</summary>
    int? TokenToId(string token);
}
