using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace SafetyNotebooks.Synthesis;

/// <summary>Chat clients for OpenAI-compatible endpoints (vLLM, the toolkit's own server, hosted APIs).</summary>
public static class ChatEndpoints
{
    /// <summary>
    /// An <see cref="IChatClient"/> for <paramref name="endpoint"/> (the base URL, e.g. <c>http://127.0.0.1:8000/v1</c>).
    /// The OpenAI client's own retries are switched off: the synthesis pipeline's retry policy decides.
    /// The key is read from <paramref name="apiKey"/>; local servers accept any value. Errors and answers never carry the key.
    /// </summary>
    public static IChatClient OpenAiCompatible(string endpoint, string model, string? apiKey = null, TimeSpan? networkTimeout = null)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new BadInputException("expected an http(s) URL such as http://127.0.0.1:8000/v1", "--endpoint", value: endpoint);
        var options = new OpenAIClientOptions
        {
            Endpoint = uri,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = networkTimeout ?? TimeSpan.FromMinutes(5),
        };
        var client = new OpenAI.Chat.ChatClient(model, new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "not-needed" : apiKey), options).AsIChatClient();
        return RedactingChatClient.Wrap(client, Redactor.Of(apiKey));
    }
}
