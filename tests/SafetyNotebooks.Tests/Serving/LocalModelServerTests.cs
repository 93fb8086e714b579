#pragma warning disable SCME0001 // JsonPatch: the OpenAI client's way to send a non-standard request field (safe_beam)
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using SafetyNotebooks.Cli.Commands;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Serving;
using SafetyNotebooks.Synthesis;
using SafetyNotebooks.Tests.Modeling;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace SafetyNotebooks.Tests.Serving;

/// <summary><c>safetynb serve --model DIR</c>: a tiny Llama folder over HTTP through the Microsoft.Extensions.AI OpenAI client.</summary>
public class LocalModelServerTests
{
    static readonly Lazy<string> Model = new(() => TinyLlamaFolder.Create(seed: 5));

    static readonly ChatMessage[] Conversation = [new(ChatRole.User, "Tell me about locks.")];

    static async Task<string> Direct(DecodingStrategy strategy, int maxTokens)
    {
        using var client = new LocalChatClient(LocalModels.Load(Model.Value, "cpu"), strategy);
        return (await client.GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = maxTokens })).Text;
    }

    [Fact]
    public async Task Plain_and_safe_beam_requests_decode_as_the_local_chat_client_does()
    {
        var backend = Backends.Open(Model.Value, toyDocs: 1, toySeed: 0, device: "cpu");
        await using var server = await OpenAiServer.StartAsync(backend, new ServerOptions(Port: 0));
        using var remote = ChatEndpoints.OpenAiCompatible(server.BaseUrl, backend.ModelId);

        var plain = await remote.GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 6 });
        Assert.Equal(await Direct(new GreedyDecoding(), 6), plain.Text);
        Assert.True(plain.Usage?.OutputTokenCount > 0);

        var safeOptions = new ChatOptions
        {
            MaxOutputTokens = 6,
            RawRepresentationFactory = _ =>
            {
                var raw = new ChatCompletionOptions();
                raw.Patch.Set("$.safe_beam"u8, BinaryData.FromString("""{"beams": 2, "candidates": 4, "discard_fraction": 0.5}"""));
                return raw;
            },
        };
        var safe = await remote.GetResponseAsync(Conversation, safeOptions);
        Assert.Equal(await Direct(new SafeBeamDecoding(257, Beams: 2, Candidates: 4, Discard: 0.5), 6), safe.Text);
        Assert.NotEqual(plain.Text, safe.Text);   // so the field demonstrably changed the decoding
    }

    [Fact]
    public async Task Safe_beam_reaches_the_model_and_bad_settings_are_400()
    {
        var backend = Backends.Open(Model.Value, toyDocs: 1, toySeed: 0, device: "cpu");
        await using var server = await OpenAiServer.StartAsync(backend, new ServerOptions(Port: 0));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        async Task<(int Status, JsonDocument Body)> Post(string safeBeam)
        {
            using var content = new StringContent($$"""{"model": "{{backend.ModelId}}", "prompt": "Once", "max_tokens": 4, "safe_beam": {{safeBeam}}}""", Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(server.BaseUrl + "/completions", content);
            return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
        }
        var (ok, body) = await Post("true");
        Assert.Equal(200, ok);
        Assert.Equal(await Task.Run(async () =>
        {
            using var client = new LocalChatClient(LocalModels.Load(Model.Value, "cpu"), new SafeBeamDecoding(257));
            return (await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Once")], new ChatOptions { MaxOutputTokens = 4 })).Text;
        }), body.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        var (bad, _) = await Post("""{"discard_fraction": 1.5}""");
        Assert.Equal(400, bad);
    }

    [Fact]
    public void Safe_beam_without_a_tag_is_bad_input_and_a_folder_without_tokenizer_is_refused()
    {
        var options = new ChatOptions { AdditionalProperties = new() { [DecodingRequest.OptionsKey] = new DecodingRequest(SafeBeam: new SafeBeamRequest()) } };
        Assert.IsType<SafeBeamDecoding>(LocalModelChatClient.StrategyFor(options, 257));
        Assert.IsType<GreedyDecoding>(LocalModelChatClient.StrategyFor(new ChatOptions(), 257));
        Assert.Contains("--tag-id", Assert.Throws<BadInputException>(() => LocalModelChatClient.StrategyFor(options, null)).Message);

        var noTokenizer = Foundation.TestDirs.Fresh();
        foreach (var f in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(Model.Value, f), Path.Combine(noTokenizer, f));
        Assert.Contains("tokenizer.json", Assert.Throws<BadInputException>(() => Backends.Open(noTokenizer, 1, 0, "cpu")).Message);
        Assert.Throws<BadInputException>(() => Backends.Open(Model.Value, 1, 0, "cpu", tagId: 999));
    }
}
