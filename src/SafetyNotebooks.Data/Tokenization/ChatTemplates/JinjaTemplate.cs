using System.Text.Json.Nodes;
using SafetyNotebooks.Decoding;

namespace SafetyNotebooks.Tokenization.ChatTemplates;

/// <summary>
/// A chat template (tokenizer_config.json's <c>chat_template</c>) parsed once and rendered many times, with the
/// variables Hugging Face's <c>apply_chat_template</c> passes: <c>messages</c>, <c>add_generation_prompt</c>,
/// <c>tools</c> and <c>documents</c> (None), and the special tokens (<c>bos_token</c>, <c>eos_token</c>, …).
/// </summary>
public sealed record JinjaTemplate(string Source, IReadOnlyList<Node> Nodes)
{
    /// <summary>Parses a template; an unsupported construct is a <see cref="BadInputException"/> naming its line and column.</summary>
    public static JinjaTemplate Parse(string source) => new(source, JinjaParser.Parse(source));

    public string Render(IReadOnlyDictionary<string, object?> variables, Func<DateTime>? now = null) =>
        JinjaEvaluator.Render(Nodes, variables, now);

    /// <summary>Renders a conversation; <paramref name="specialTokens"/> maps names such as "bos_token" to their text.</summary>
    public string RenderChat(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, string>? specialTokens = null)
    {
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["tools"] = null,
            ["documents"] = null,
        };
        foreach (var (name, text) in specialTokens ?? new Dictionary<string, string>()) variables[name] = text;
        return Render(variables);
    }

    /// <summary>A JSON value as a template value (objects keep their key order).</summary>
    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => FromJson(kv.Value)),
        JsonArray a => a.Select(FromJson).ToList(),
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v => v.ToString(),
        _ => throw new ArgumentException($"unexpected JSON node {node.GetType().Name}", nameof(node)),
    };
}
