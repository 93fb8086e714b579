using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Tokenization;
using SafetyNotebooks.Tokenization.ChatTemplates;

namespace SafetyNotebooks.Tests.Modeling;

public class ChatTemplateTests
{
    internal const string SmolLm2 =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    internal const string Llama2 =
        "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    internal const string Llama3 =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    static readonly Dictionary<string, string> Tokens = new() { ["bos_token"] = "<s>", ["eos_token"] = "</s>" };

    [Fact]
    public void SmolLm2_template_renders_chatml_with_its_default_system_message()
    {
        var t = JinjaTemplate.Parse(SmolLm2);
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            t.RenderChat([new ChatTurn("user", "Hi")], addGenerationPrompt: true));
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
            t.RenderChat([new ChatTurn("system", "Be brief."), new ChatTurn("user", "Hi")], addGenerationPrompt: false));
    }

    [Fact]
    public void Llama2_template_uses_bos_eos_strip_slicing_and_raises_on_bad_role_order()
    {
        var t = JinjaTemplate.Parse(Llama2);
        Assert.Equal("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Bye [/INST]",
            t.RenderChat([new ChatTurn("system", "Be brief."), new ChatTurn("user", "Hi"), new ChatTurn("assistant", " Hello. "), new ChatTurn("user", "Bye")], true, Tokens));
        var e = Assert.Throws<BadInputException>(() => t.RenderChat([new ChatTurn("user", "a"), new ChatTurn("user", "b")], true, Tokens));
        Assert.Contains("Conversation roles must alternate user/assistant/user/assistant/...", e.Message);
        Assert.Contains("line 1, column", e.Message);
    }

    [Fact]
    public void Llama3_template_trims_with_a_filter_and_opens_the_assistant_header()
    {
        Assert.Equal("<s><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            JinjaTemplate.Parse(Llama3).RenderChat([new ChatTurn("user", "  Hi\n")], true, Tokens));
    }

    /// <summary>Every case of golden/chat-templates.json, rendered by jinja2 as transformers configures it.</summary>
    [Fact]
    public void Templates_render_exactly_as_jinja2_in_transformers()
    {
        var golden = JsonNode.Parse(File.ReadAllText(Path.Combine(Foundation.TestDirs.RepoRoot(), "tests", "SafetyNotebooks.Tests", "Tokenization", "golden", "chat-templates.json")))!;
        var cases = golden["cases"]!.AsArray();
        Assert.True(cases.Count >= 32);
        foreach (var c in cases)
        {
            var (name, messages, generate, expected) = (c![0]!.GetValue<string>(), c[1]!.GetValue<string>(), c[2]!.GetValue<bool>(), c[3]!.GetValue<string>());
            var template = JinjaTemplate.Parse(golden["templates"]![name]!.GetValue<string>());
            var turns = golden["messages"]![messages]!.AsArray().Select(m => new ChatTurn(m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())).ToList();
            if (expected.StartsWith("ERROR: "))
            {
                var e = Assert.Throws<BadInputException>(() => template.RenderChat(turns, generate, Tokens));
                Assert.Contains(expected["ERROR: ".Length..], e.Message);
            }
            else Assert.True(expected == template.RenderChat(turns, generate, Tokens), $"{name}/{messages}/{generate}");
        }
    }

    [Theory]
    [InlineData("{% macro m() %}x{% endmacro %}", "line 1, column 1", "unsupported tag 'macro'")]
    [InlineData("ok\n  {{ messages | shuffle }}", "line 2, column 15", "unsupported filter 'shuffle'")]
    [InlineData("{% if true %}never closed", "line 1, column 1", "'if' is not closed")]
    [InlineData("{{ nothing.here }}", "line 1, column 11", "'nothing' is undefined")]
    [InlineData("{{ 'a' + 1 }}", "line 1, column 8", "unsupported operand types for +")]
    [InlineData("{{ 'open }}", "line 1, column 4", "string literal is not closed")]
    [InlineData("{{ 'x'.format(1) }}", "line 1, column 14", "unsupported method 'str.format()'")]
    [InlineData("{{ os.system('x') }}", "line 1, column 13", "'os' is undefined")]
    public void Unsupported_or_failing_constructs_name_the_template_position(string template, string position, string message)
    {
        var e = Assert.Throws<BadInputException>(() => JinjaTemplate.Parse(template).RenderChat([new ChatTurn("user", "Hi")], true));
        Assert.Contains("chat_template", e.Message);
        Assert.Contains(position, e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Tokenizer_applies_its_chat_template_with_its_bos_and_eos()
    {
        var config = new JsonObject { ["bos_token"] = "<|endoftext|>", ["eos_token"] = new JsonObject { ["content"] = "<|im_end|>" }, ["chat_template"] = Llama2 };
        var tokenizer = HfTokenizer.FromJson(TokenizerTests.SmolLikeJson(), config);
        Assert.Equal("<|endoftext|>[INST] Hi [/INST] Yes <|im_end|>",
            tokenizer.ApplyChatTemplate([new ChatTurn("user", "Hi"), new ChatTurn("assistant", "Yes")], addGenerationPrompt: false));
        var none = HfTokenizer.FromJson(TokenizerTests.SmolLikeJson());
        Assert.Contains("chat_template", Assert.Throws<BadInputException>(() => none.ApplyChatTemplate([new ChatTurn("user", "Hi")])).Message);
    }

    [Fact]
    public async Task Local_chat_client_renders_prompts_with_the_model_folders_template()
    {
        var dir = Foundation.TestDirs.Fresh();
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), new JsonObject { ["bos_token"] = "<s>", ["chat_template"] = Llama3 }.ToJsonString());
        var template = ChatTemplate.FromModelDirectory(dir);
        Assert.Equal(ChatTemplateKind.Jinja, template.Kind);
        Assert.Equal("<|eot_id|>", template.EndOfTurn);
        var expectedPrompt = "<s><|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
        Assert.Equal(expectedPrompt, template.Render([new ChatTurn("user", "hello")]));

        var model = new Decoding.FakeModel(24, 9);
        var tokenizer = new Decoding.LetterTokenizer(24);
        using var client = new LocalChatClient(new LocalModel(model, tokenizer, [], template, "fake"), new GreedyDecoding(), maxNewTokens: 4);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]);
        Assert.Equal(tokenizer.Encode(expectedPrompt).Count, response.Usage!.InputTokenCount);
        var expected = new GreedyDecoding().Run(model, tokenizer.Encode(expectedPrompt), Stopping.After(4));
        Assert.Equal(tokenizer.Decode(expected.Tokens), response.Text);
    }

    [Fact]
    public void A_template_outside_the_subset_falls_back_to_the_chatml_recogniser_and_says_why()
    {
        var t = ChatTemplate.FromJinja("{% macro x() %}{% endmacro %}<|im_start|>system\nDefault<|im_end|>" + SmolLm2);
        Assert.Equal(ChatTemplateKind.ChatMl, t.Kind);
        Assert.Contains("unsupported tag 'macro'", t.TemplateError);
        Assert.Equal(ChatTemplateKind.Jinja, ChatTemplate.FromJinja(SmolLm2).Kind);
    }
}
