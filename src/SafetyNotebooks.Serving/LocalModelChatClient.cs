using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SafetyNotebooks.Decoding;

namespace SafetyNotebooks.Serving;

/// <summary>
/// The chat client <c>safetynb serve --model DIR</c> serves: a <see cref="LocalChatClient"/> per request, greedy by
/// default (sampling when the request sets temperature, top_p or seed), or Safe Beam Search when the request carries a
/// <see cref="DecodingRequest"/> with <see cref="DecodingRequest.SafeBeam"/> under <see cref="DecodingRequest.OptionsKey"/>.
/// Requests run one at a time: they share one model.
/// </summary>
/// <param name="tagTokenId">The harmfulness tag's token id; Safe Beam requests are refused (bad input) without one.</param>
public sealed class LocalModelChatClient(LocalModel model, int? tagTokenId, int maxNewTokens = 256) : IChatClient
{
    readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>The tag id from the model's tokenizer (<c>&lt;potentially_unsafe_content&gt;</c>), when it has that token.</summary>
    public static int? TagFromTokenizer(LocalModel model) => model.Tokenizer?.TokenToId(Tokenization.ByteLevelTokenizer.HarmfulnessTag);

    /// <summary>The strategy for one request: Safe Beam Search with the request's k, N and discard share, else greedy.</summary>
    public static DecodingStrategy StrategyFor(ChatOptions? options, int? tagTokenId) =>
        options?.AdditionalProperties?.TryGetValue(DecodingRequest.OptionsKey, out var value) == true && value is DecodingRequest { SafeBeam: { } safe }
            ? new SafeBeamDecoding(
                tagTokenId ?? throw new BadInputException($"this model's tokenizer has no {Tokenization.ByteLevelTokenizer.HarmfulnessTag} token; start the server with --tag-id", "safe_beam"),
                safe.Beams, safe.Candidates, safe.DiscardFraction)
            : new GreedyDecoding();

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var strategy = StrategyFor(options, tagTokenId);
        await gate.WaitAsync(cancellationToken);
        try
        {
            using var client = new LocalChatClient(model, strategy, maxNewTokens);
            return await client.GetResponseAsync(messages, options, cancellationToken);
        }
        finally { gate.Release(); }
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => LocalChatClient.Service(this, model.Name, serviceType, serviceKey);

    public void Dispose() => gate.Dispose();
}
