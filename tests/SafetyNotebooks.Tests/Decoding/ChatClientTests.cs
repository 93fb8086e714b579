using Microsoft.Extensions.AI;
using SafetyNotebooks.Decoding;

namespace SafetyNotebooks.Tests.Decoding;

public class ChatClientTests
{
    const string SmolLm2Template =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    [Fact]
    public void ChatMl_template_renders_with_its_default_system_message()
    {
        var template = ChatTemplate.FromJinja(SmolLm2Template);
        Assert.Equal(ChatTemplateKind.Jinja, template.Kind);
        Assert.Equal("<|im_end|>", template.EndOfTurn);
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            template.Render([new ChatTurn("user", "Hi")]));
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            template.Render([new ChatTurn("system", "Be brief."), new ChatTurn("user", "Hi")]));
        Assert.Equal("<s>[INST] Hi [/INST]", ChatTemplate.FromJinja("{{ bos_token }}{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}",
            new Dictionary<string, string> { ["bos_token"] = "<s>" }).Render([new ChatTurn("user", "Hi")]));
    }

    [Fact]
    public void Template_comes_from_tokenizer_config_and_falls_back_to_plain()
    {
        var dir = Foundation.TestDirs.Fresh();
        Assert.Equal(ChatTemplate.Plain, ChatTemplate.FromModelDirectory(dir));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), System.Text.Json.JsonSerializer.Serialize(new { chat_template = SmolLm2Template }));
        Assert.Equal(ChatTemplateKind.Jinja, ChatTemplate.FromModelDirectory(dir).Kind);
        Assert.Equal("user: Hi\nassistant:", ChatTemplate.Plain.Render([new ChatTurn("user", "Hi")]));
    }

    [Fact]
    public async Task Chat_client_decodes_the_rendered_prompt_with_the_chosen_strategy()
    {
        var model = new FakeModel(24, 9);
        var tokenizer = new LetterTokenizer(24);
        var local = new LocalModel(model, tokenizer, [], ChatTemplate.ChatMl(), "fake");
        var strategy = new SafeBeamDecoding(model.Tag, Beams: 2);
        using var client = new LocalChatClient(local, strategy, maxNewTokens: 6);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]);
        var prompt = tokenizer.Encode(ChatTemplate.ChatMl().Render([new ChatTurn("user", "hello")]));
        var expected = SafeBeamSearch.Run(model, prompt, strategy.Options(Stopping.After(6)));
        Assert.Equal(tokenizer.Decode(expected.Tokens), response.Text);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(prompt.Count, response.Usage!.InputTokenCount);

        var shorter = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")], new ChatOptions { MaxOutputTokens = 3 });
        Assert.Equal(3, shorter.Usage!.OutputTokenCount);
        var streamed = await client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hello")]).ToChatResponseAsync();
        Assert.Equal(response.Text, streamed.Text);
    }

    [Fact]
    public void Sampling_options_turn_greedy_into_seeded_sampling_and_leave_beams_alone()
    {
        var sampled = LocalChatClient.Effective(new GreedyDecoding(), new ChatOptions { Temperature = 0.7f, Seed = 5 });
        Assert.Equal(new SampledDecoding(5, 0.7f, 50, 1.0), sampled);
        var beam = new BeamDecoding(3);
        Assert.Same(beam, LocalChatClient.Effective(beam, new ChatOptions { Temperature = 0.7f }));
    }
}
