using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SafetyNotebooks.Decoding;

/// <summary>
/// A Microsoft.Extensions.AI chat client over a local model: the conversation is rendered with the model's chat
/// template, tokenized, decoded with <see cref="Strategy"/> (Safe Beam Search included), and the best continuation is
/// returned as the assistant's message. Per-call <see cref="ChatOptions"/> override the defaults: MaxOutputTokens,
/// StopSequences, and — turning greedy or sampling into sampling with those settings — Temperature, TopP, TopK, Seed.
/// A Safe Beam reply that short-circuits on the harmfulness tag finishes with <see cref="ChatFinishReason.ContentFilter"/>.
/// Calls are serialised (one model, one KV cache at a time). Streaming yields the whole reply as one update.
/// </summary>
public sealed class LocalChatClient(LocalModel model, DecodingStrategy strategy, int maxNewTokens = 256) : IChatClient
{
    readonly SemaphoreSlim gate = new(1, 1);

    public DecodingStrategy Strategy => strategy;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var tokenizer = model.Tokenizer ?? throw new BadInputException("the model folder has no tokenizer.json; a chat client needs one", model.Name);
        var turns = messages.Select(m => new ChatTurn(m.Role.Value, m.Text)).ToArray();
        var prompt = tokenizer.Encode(model.Template.Render(turns));
        var stops = (options?.StopSequences ?? []).ToList();
        if (model.Template.Kind == ChatTemplateKind.Plain) stops.Add("\nuser:");
        var eos = model.EosTokenIds.ToList();
        if (model.Template.EndOfTurn is { } end && tokenizer.TokenToId(end) is { } endId && !eos.Contains(endId)) eos.Add(endId);
        var stopping = new Stopping(options?.MaxOutputTokens ?? maxNewTokens, eos, stops.Count > 0 ? new StopStrings(tokenizer, stops) : null);
        var decoding = Effective(strategy, options);

        await gate.WaitAsync(cancellationToken);
        GenerationResult result;
        try { result = await Task.Run(() => decoding.Run(model.Model, prompt, stopping), cancellationToken); }
        finally { gate.Release(); }

        var tokens = result.Tokens;
        var endedOnStop = tokens.Count > 0 && stopping.Hits(tokens);
        var text = tokenizer.Decode(tokens.Where(t => !eos.Contains(t)), skipSpecialTokens: true);
        if (stopping.StopStrings is { } s) text = s.Trim(text);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = model.Name,
            FinishReason = result.ShortCircuited ? ChatFinishReason.ContentFilter : endedOnStop ? ChatFinishReason.Stop : ChatFinishReason.Length,
            Usage = new UsageDetails { InputTokenCount = prompt.Count, OutputTokenCount = tokens.Count, TotalTokenCount = prompt.Count + tokens.Count },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    /// <summary>The strategy for one call: sampling settings in <paramref name="options"/> turn greedy or sampling into sampling with them.</summary>
    public static DecodingStrategy Effective(DecodingStrategy strategy, ChatOptions? options)
    {
        if (options is null || (options.Temperature is null && options.TopP is null && options.TopK is null && options.Seed is null)) return strategy;
        var sampled = strategy as SampledDecoding ?? (strategy is GreedyDecoding ? new SampledDecoding(0) : null);
        if (sampled is null) return strategy;   // beam strategies ignore sampling settings
        if (options.Temperature is 0f) return new GreedyDecoding();
        return sampled with
        {
            Seed = options.Seed ?? sampled.Seed,
            Temperature = options.Temperature ?? sampled.Temperature,
            TopP = options.TopP ?? sampled.TopP,
            TopK = options.TopK ?? sampled.TopK,
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => Service(this, model.Name, serviceType, serviceKey);

    /// <summary><see cref="IChatClient.GetService"/> of the toolkit's local chat clients: their metadata, or themselves.</summary>
    internal static object? Service(IChatClient client, string modelName, Type serviceType, object? serviceKey) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("safetynotebooks-local", null, modelName)
        : serviceType.IsInstanceOfType(client) ? client
        : null;

    public void Dispose() => gate.Dispose();
}
