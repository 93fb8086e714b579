using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SafetyNotebooks.Decoding;

/// <summary>A chat message for templating: a role (system, user, assistant) and its text.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>
/// Renders a conversation into the prompt text a chat model was trained on. Two renderings, chosen from
/// tokenizer_config.json's <c>chat_template</c>: <see cref="ChatMl"/> when the Jinja template is ChatML
/// (<c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c>, as SmolLM2 and SafeLM use, including a default system
/// message the template adds when the conversation has none), else <see cref="Plain"/> ("role: content" lines). Other
/// Jinja templates are not interpreted; <see cref="Kind"/> says which rendering is in use.
/// </summary>
public sealed record ChatTemplate(ChatTemplateKind Kind, string? DefaultSystem, string? EndOfTurn)
{
    public static ChatTemplate Plain { get; } = new(ChatTemplateKind.Plain, null, null);
    public static ChatTemplate ChatMl(string? defaultSystem = null) => new(ChatTemplateKind.ChatMl, defaultSystem, "<|im_end|>");

    /// <summary>The template of a model folder: from tokenizer_config.json when present and recognised, else plain.</summary>
    public static ChatTemplate FromModelDirectory(string dir)
    {
        var path = Path.Combine(dir, "tokenizer_config.json");
        if (!File.Exists(path)) return Plain;
        JsonNode? config;
        try { config = JsonNode.Parse(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new BadInputException($"not valid JSON: {e.Message}", path); }
        var node = config?["chat_template"];
        // The template is a string, or a list of named templates of which "default" is the chat one.
        var template = node switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonArray a => a.OfType<JsonObject>().FirstOrDefault(t => (string?)t["name"] == "default")?["template"]?.GetValue<string>(),
            _ => null,
        };
        return template is null ? Plain : FromJinja(template);
    }

    /// <summary>Recognises a Jinja chat template; anything that is not ChatML renders plainly.</summary>
    public static ChatTemplate FromJinja(string template)
    {
        if (!template.Contains("<|im_start|>") || !template.Contains("<|im_end|>")) return Plain;
        // A literal system turn inside the template is the default system message (SmolLM2: "You are a helpful AI ...").
        var literal = Regex.Match(template, @"<\|im_start\|>system\\n(?<text>.*?)<\|im_end\|>", RegexOptions.Singleline);
        if (!literal.Success) literal = Regex.Match(template, "<\\|im_start\\|>system\n(?<text>.*?)<\\|im_end\\|>", RegexOptions.Singleline);
        return ChatMl(literal.Success ? literal.Groups["text"].Value : null);
    }

    /// <summary>The prompt text for <paramref name="turns"/>, ending with the assistant's turn opening.</summary>
    public string Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt = true)
    {
        var text = new StringBuilder();
        switch (Kind)
        {
            case ChatTemplateKind.ChatMl:
                if (DefaultSystem is not null && (turns.Count == 0 || turns[0].Role != "system"))
                    text.Append("<|im_start|>system\n").Append(DefaultSystem).Append("<|im_end|>\n");
                foreach (var t in turns) text.Append("<|im_start|>").Append(t.Role).Append('\n').Append(t.Content).Append("<|im_end|>\n");
                if (addGenerationPrompt) text.Append("<|im_start|>assistant\n");
                break;
            default:
                foreach (var t in turns) text.Append(t.Role).Append(": ").Append(t.Content).Append('\n');
                if (addGenerationPrompt) text.Append("assistant:");
                break;
        }
        return text.ToString();
    }
}

public enum ChatTemplateKind { Plain, ChatMl }
