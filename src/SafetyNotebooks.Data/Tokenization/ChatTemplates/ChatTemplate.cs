using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SafetyNotebooks.Tokenization.ChatTemplates;

namespace SafetyNotebooks.Decoding;

/// <summary>A chat message for templating: a role (system, user, assistant) and its text.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>
/// Renders a conversation into the prompt text a chat model was trained on. The model's own Jinja template
/// (tokenizer_config.json's <c>chat_template</c>) is rendered as Hugging Face renders it (<see cref="ChatTemplateKind.Jinja"/>,
/// with the config's bos/eos tokens). Without a template the rendering is <see cref="Plain"/> ("role: content" lines);
/// a template the Jinja subset cannot parse falls back to <see cref="ChatMl"/> when it is recognisably ChatML (SmolLM2,
/// SafeLM), else to plain, and <see cref="TemplateError"/> says why.
/// </summary>
public sealed record ChatTemplate(ChatTemplateKind Kind, string? DefaultSystem, string? EndOfTurn)
{
    public static ChatTemplate Plain { get; } = new(ChatTemplateKind.Plain, null, null);
    public static ChatTemplate ChatMl(string? defaultSystem = null) => new(ChatTemplateKind.ChatMl, defaultSystem, "<|im_end|>");

    /// <summary>The parsed template when <see cref="Kind"/> is <see cref="ChatTemplateKind.Jinja"/>.</summary>
    public JinjaTemplate? Jinja { get; init; }

    /// <summary>Special tokens the template may use (bos_token, eos_token, ...), from tokenizer_config.json.</summary>
    public IReadOnlyDictionary<string, string> SpecialTokens { get; init; } = new Dictionary<string, string>();

    /// <summary>Why a template in the config is not rendered as Jinja (a parse error), or null.</summary>
    public string? TemplateError { get; init; }

    /// <summary>Turn terminators that chat models emit at the end of a reply, looked for in the template's text.</summary>
    static readonly string[] TurnEnds = ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>"];

    /// <summary>The template of a model folder: from tokenizer_config.json when present, else plain.</summary>
    public static ChatTemplate FromModelDirectory(string dir)
    {
        var path = Path.Combine(dir, "tokenizer_config.json");
        if (!File.Exists(path)) return Plain;
        JsonNode? config;
        try { config = JsonNode.Parse(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new BadInputException($"not valid JSON: {e.Message}", path); }
        var template = TemplateText(config?["chat_template"]);
        return template is null ? Plain : FromJinja(template, SpecialTokensOf(config));
    }

    /// <summary>The chat template of a tokenizer_config.json value: a string, or a list of named templates of which "default" is the chat one.</summary>
    public static string? TemplateText(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray a => a.OfType<JsonObject>().FirstOrDefault(t => (string?)t["name"] == "default")?["template"]?.GetValue<string>(),
        _ => null,
    };

    /// <summary>bos/eos/unk/pad tokens of a tokenizer_config.json (a string or an AddedToken object each), as the template sees them.</summary>
    public static IReadOnlyDictionary<string, string> SpecialTokensOf(JsonNode? config)
    {
        var tokens = new Dictionary<string, string>();
        foreach (var name in new[] { "bos_token", "eos_token", "unk_token", "pad_token" })
        {
            var text = config?[name] switch { JsonValue v when v.TryGetValue<string>(out var s) => s, JsonObject o => o["content"]?.GetValue<string>(), _ => null };
            if (text is not null) tokens[name] = text;
        }
        return tokens;
    }

    /// <summary>A Jinja chat template; one the subset cannot parse falls back to the ChatML recogniser or plain text.</summary>
    public static ChatTemplate FromJinja(string template, IReadOnlyDictionary<string, string>? specialTokens = null)
    {
        var recognised = Recognise(template);
        try
        {
            return new ChatTemplate(ChatTemplateKind.Jinja, recognised.DefaultSystem, TurnEnds.FirstOrDefault(template.Contains))
            {
                Jinja = JinjaTemplate.Parse(template),
                SpecialTokens = specialTokens ?? new Dictionary<string, string>(),
            };
        }
        catch (BadInputException e)
        {
            return recognised with { TemplateError = e.Message };
        }
    }

    /// <summary>The ChatML recogniser (templates with &lt;|im_start|&gt; and &lt;|im_end|&gt;); anything else renders plainly.</summary>
    static ChatTemplate Recognise(string template)
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
            case ChatTemplateKind.Jinja when Jinja is not null:
                return Jinja.RenderChat(turns, addGenerationPrompt, SpecialTokens);
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

public enum ChatTemplateKind { Plain, ChatMl, Jinja }
