using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace SafetyNotebooks.Scoring;

/// <summary>
/// Where the judge runs: an OpenAI-compatible endpoint (vLLM, <c>safetynb serve</c>, OpenAI) and a model name.
/// Values come from options, else from SAFETYNB_LLM_ENDPOINT / SAFETYNB_LLM_MODEL / SAFETYNB_LLM_API_KEY (or OPENAI_API_KEY).
/// The key is never part of <see cref="ToString"/>.
/// </summary>
public sealed record LlmEndpoint(Uri Endpoint, string Model, string? ApiKey)
{
    public const string EndpointVariable = "SAFETYNB_LLM_ENDPOINT";
    public const string ModelVariable = "SAFETYNB_LLM_MODEL";
    public const string KeyVariable = "SAFETYNB_LLM_API_KEY";

    /// <summary>The option naming the variable that holds the key (its value is masked in every message the CLI prints).</summary>
    public const string KeyEnvOption = "--api-key-env";

    /// <summary>The key in variable <paramref name="keyVariable"/>, else in <see cref="KeyVariable"/> or OPENAI_API_KEY.</summary>
    public static string? KeyFrom(string? keyVariable) =>
        keyVariable is { Length: > 0 } v ? Environment.GetEnvironmentVariable(v) : null;

    public static LlmEndpoint Resolve(string? endpoint = null, string? model = null, string? apiKey = null)
    {
        var url = endpoint ?? Environment.GetEnvironmentVariable(EndpointVariable);
        var name = model ?? Environment.GetEnvironmentVariable(ModelVariable);
        var key = apiKey ?? Environment.GetEnvironmentVariable(KeyVariable) ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY");
        if (string.IsNullOrWhiteSpace(url)) throw new BadInputException($"no LLM endpoint (use --llm-endpoint or {EndpointVariable})", "LLM scoring", "endpoint");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new BadInputException("not an http(s) URL", "LLM scoring", "endpoint", url);
        if (string.IsNullOrWhiteSpace(name)) throw new BadInputException($"no model name (use --llm-model or {ModelVariable})", "LLM scoring", "model");
        return new LlmEndpoint(uri, name, string.IsNullOrEmpty(key) ? null : key);
    }

    /// <summary>An <see cref="IChatClient"/> for this endpoint (Microsoft.Extensions.AI.OpenAI over the OpenAI SDK); its errors and answers never carry the key.</summary>
    public IChatClient CreateClient() => RedactingChatClient.Wrap(
        new OpenAI.Chat.ChatClient(Model, new ApiKeyCredential(ApiKey ?? "none"), new OpenAIClientOptions { Endpoint = Endpoint }).AsIChatClient(),
        Redactor.Of(ApiKey));

    public override string ToString() => $"{Model} at {Endpoint} ({(ApiKey is null ? "no key" : "key set")})";
}

/// <summary>How to call the judge.</summary>
public sealed record LlmScoringOptions(
    int MaxConcurrency = 8,
    int MaxAttempts = 4,
    TimeSpan? InitialBackoff = null,
    int MaxChars = 8000,
    int MaxOutputTokens = 96,
    bool Prefill = true)
{
    public TimeSpan Backoff => InitialBackoff ?? TimeSpan.FromSeconds(1);
}

/// <summary>
/// Scores texts with an LLM judge through <see cref="IChatClient"/>: rubric prompt, pre-filled JSON answer, tolerant
/// parsing, at most <see cref="LlmScoringOptions.MaxConcurrency"/> requests in flight, and retries with exponential
/// backoff on transport errors. Results come back in input order; answers that cannot be read are counted as failures.
/// </summary>
public static class LlmScorer
{
    /// <summary>The request: system rubric, the text, and (with prefill) an assistant turn holding the start of the JSON.</summary>
    public static IReadOnlyList<ChatMessage> Messages(string text, LlmScoringOptions o)
    {
        var messages = new List<ChatMessage> { new(ChatRole.System, ScoringPrompt.System), new(ChatRole.User, ScoringPrompt.User(text, o.MaxChars)) };
        if (o.Prefill) messages.Add(new ChatMessage(ChatRole.Assistant, ScoringPrompt.AnswerPrefix));
        return messages;
    }

    static ChatOptions Options(LlmScoringOptions o) => new()
    {
        Temperature = 0,
        MaxOutputTokens = o.MaxOutputTokens,
        // vLLM continues a final assistant message only when asked to; other servers ignore these fields.
        AdditionalProperties = o.Prefill ? new AdditionalPropertiesDictionary { ["continue_final_message"] = true, ["add_generation_prompt"] = false } : null,
    };

    /// <summary>Scores one text; transport errors are retried, a persistent one is rethrown.</summary>
    public static async Task<LlmAnswer> ScoreAsync(IChatClient client, string text, LlmScoringOptions? options = null, CancellationToken ct = default)
    {
        var o = options ?? new LlmScoringOptions();
        return await Retry.RunAsync(async token =>
            {
                var response = await client.GetResponseAsync(Messages(text, o), Options(o), token);
                return LlmAnswerParser.Parse(response.Text ?? "", o.Prefill ? ScoringPrompt.AnswerPrefix : "");
            },
            Math.Max(1, o.MaxAttempts), new Backoff(o.Backoff, TimeSpan.MaxValue), e => e is not BadInputException && IsTransient(e), ct);
    }

    /// <summary>A refusal by the server (4xx other than 408 and 429: a bad key, an unknown model) is not worth retrying.</summary>
    static bool IsTransient(Exception e) =>
        e is not System.ClientModel.ClientResultException { Status: >= 400 and < 500 and not 408 and not 429 };

    /// <summary>
    /// Scores every text with bounded concurrency; the result is in input order. A text whose requests all fail is
    /// a failed answer whose <see cref="LlmAnswer.Raw"/> says why, so one dead request does not lose the others.
    /// </summary>
    public static async Task<LlmAnswer[]> ScoreAllAsync(IChatClient client, IReadOnlyList<string> texts, LlmScoringOptions? options = null,
        IProgress<int>? progress = null, CancellationToken ct = default)
    {
        var o = options ?? new LlmScoringOptions();
        var results = new LlmAnswer[texts.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, texts.Count), new ParallelOptions { MaxDegreeOfParallelism = o.MaxConcurrency, CancellationToken = ct },
            async (i, token) =>
            {
                try { results[i] = await ScoreAsync(client, texts[i], o, token); }
                catch (Exception e) when (e is not OperationCanceledException and not BadInputException)
                {
                    results[i] = new LlmAnswer(null, null, $"request failed: {(e is RedactedException r ? r.OriginalType : e.GetType().Name)}: {e.Message}");
                }
                progress?.Report(Interlocked.Increment(ref done));
            });
        return results;
    }
}
