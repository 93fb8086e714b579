using System.Text.Json.Nodes;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Decoding;

/// <summary>
/// A model folder ready to generate with: the network, its tokenizer (when the folder has one), its end-of-sequence
/// ids (generation_config.json, else config.json) and its chat template (tokenizer_config.json).
/// </summary>
public sealed record LocalModel(ICausalLanguageModel Model, ITextTokenizer? Tokenizer, IReadOnlyList<int> EosTokenIds, ChatTemplate Template, string Name)
{
    /// <summary>Assembles a <see cref="LocalModel"/> from a folder, given the network and tokenizer already loaded from it.</summary>
    public static LocalModel FromDirectory(string dir, ICausalLanguageModel model, ITextTokenizer? tokenizer) =>
        new(model, ModelVocabularyTokenizer.For(tokenizer, model.VocabSize), EosIds(dir), ChatTemplate.FromModelDirectory(dir), Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir))));

    /// <summary>Positions the model can attend over (prompt + new tokens); unbounded for models that do not say.</summary>
    public int MaxPositions => Model is Modeling.LlamaForCausalLM l ? l.Config.MaxPositionEmbeddings : int.MaxValue;

    /// <summary>Refuses a generation length the model cannot hold: prompt + new tokens beyond its positions.</summary>
    public void CheckLength(int promptTokens, int maxNewTokens, string option = "--max-new-tokens")
    {
        if ((long)promptTokens + maxNewTokens > MaxPositions)
            throw new BadInputException($"{promptTokens} prompt tokens + {maxNewTokens} new tokens exceed the model's {MaxPositions} positions (max_position_embeddings)",
                option, value: maxNewTokens.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>eos_token_id (an integer or a list) from generation_config.json, else config.json; none when absent.</summary>
    public static IReadOnlyList<int> EosIds(string dir)
    {
        foreach (var name in new[] { "generation_config.json", "config.json" })
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(File.ReadAllText(path))?["eos_token_id"]; }
            catch (System.Text.Json.JsonException e) { throw new BadInputException($"not valid JSON: {e.Message}", path); }
            try
            {
                switch (node)
                {
                    case JsonArray a: return a.Select(x => x!.GetValue<int>()).ToArray();
                    case JsonValue v: return [v.GetValue<int>()];
                }
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
            {
                throw new BadInputException("expected an integer or a list of integers", path, "eos_token_id", node?.ToJsonString());
            }
        }
        return [];
    }
}

/// <summary>Loads a model folder on a device ("cpu", "cuda", null for the default).</summary>
public delegate LocalModel LocalModelLoader(string dir, string? device);
