using Microsoft.Extensions.AI;

namespace SafetyNotebooks.Serving;

/// <summary>How to decode: greedy, sampling, or Safe Beam Search with its parameters (PAPER.md §2).</summary>
/// <param name="Temperature">0 (or null) is greedy; above 0 samples.</param>
/// <param name="SafeBeam">When set, Safe Beam Search replaces greedy/sampling.</param>
public sealed record DecodingRequest(double? Temperature = null, double? TopP = null, long? Seed = null, SafeBeamRequest? SafeBeam = null)
{
    /// <summary>The key under which an <see cref="IChatClient"/> backend finds this request in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public const string OptionsKey = "safetynb.decoding";
}

/// <summary>Safe Beam Search parameters: beams kept (k), candidates per beam (N), and the share of pooled candidates with the
/// highest tag probability that is discarded each step (the paper's 50%).</summary>
public sealed record SafeBeamRequest(int Beams = 4, int? Candidates = null, double DiscardFraction = 0.5);

/// <summary>One generation request: a conversation (chat) or a raw prompt (completions).</summary>
public sealed record GenerationRequest(IReadOnlyList<ChatMessage>? Messages, string? Prompt, int MaxTokens, IReadOnlyList<string> Stop, DecodingRequest Decoding);

/// <summary>What the backend produced.</summary>
/// <param name="FinishReason">"stop" (end of text or a stop string) or "length" (max tokens reached).</param>
public sealed record GenerationReply(string Text, string FinishReason, int PromptTokens, int CompletionTokens);

/// <summary>What the server serves: a model id and a generation function. The server owns HTTP, validation and limits; the backend only generates.</summary>
public interface IServingBackend
{
    string ModelId { get; }

    Task<GenerationReply> GenerateAsync(GenerationRequest request, CancellationToken ct);
}

/// <summary>
/// Serves any <see cref="IChatClient"/> (the toolkit's local model client, the toy-world client, or a remote model):
/// the decoding request travels in <see cref="ChatOptions.AdditionalProperties"/> under <see cref="DecodingRequest.OptionsKey"/>;
/// a raw prompt is sent as one user message.
/// </summary>
public sealed class ChatClientBackend(IChatClient client, string modelId) : IServingBackend
{
    public string ModelId => modelId;

    public async Task<GenerationReply> GenerateAsync(GenerationRequest request, CancellationToken ct)
    {
        var messages = request.Messages ?? [new ChatMessage(ChatRole.User, request.Prompt ?? "")];
        var options = new ChatOptions
        {
            ModelId = modelId,
            MaxOutputTokens = request.MaxTokens,
            Temperature = request.Decoding.Temperature is { } t ? (float)t : null,
            TopP = request.Decoding.TopP is { } p ? (float)p : null,
            Seed = request.Decoding.Seed,
            StopSequences = request.Stop.Count == 0 ? null : request.Stop.ToList(),
            AdditionalProperties = new AdditionalPropertiesDictionary { [DecodingRequest.OptionsKey] = request.Decoding },
        };
        var response = await client.GetResponseAsync(messages, options, ct);
        var text = response.Text ?? "";
        var finish = response.FinishReason == ChatFinishReason.Length ? "length" : "stop";
        foreach (var stop in request.Stop)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0) { text = text[..at]; finish = "stop"; }
        }
        return new GenerationReply(text, finish, (int)(response.Usage?.InputTokenCount ?? 0), (int)(response.Usage?.OutputTokenCount ?? 0));
    }
}
