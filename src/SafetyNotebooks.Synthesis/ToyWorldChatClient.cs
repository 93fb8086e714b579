using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Synthesis;

/// <summary>
/// Seeded misbehaviour of the toy client, so the pipeline's defences can be seen working offline: per document (a draw
/// on the seed and the source text) the client may answer with nothing, decline the task, echo the source back, or fail
/// its first <see cref="TransientFailures"/> attempts with an error.
/// </summary>
public sealed record ToyMisbehaviour(long Seed = 0, double EmptyRate = 0, double DeclineRate = 0, double EchoRate = 0, double FlakyRate = 0, int TransientFailures = 1)
{
    public static ToyMisbehaviour None { get; } = new();
}

/// <summary>
/// A scripted, deterministic <see cref="IChatClient"/> over the toy world: it recognises the toolkit's synthesis prompts
/// (<see cref="SynthesisPrompts"/>), finds the toy document quoted in them, and answers with that document's SafeWeb
/// rephrasing, RefuseWeb dialogue or moral-education article (<see cref="ToyCounterparts"/>) — what an instruction-
/// following LLM should write. A request it cannot serve gets the kind of answer an LLM gives: a rephrasing prompt for a
/// score 4–5 text is declined, anything else gets a short generic reply. Thread-safe; no network.
/// </summary>
public sealed class ToyWorldChatClient : IChatClient
{
    public const string ModelName = "toy-world-synthesizer";

    readonly Dictionary<string, ToyFacts> _bySource = new(StringComparer.Ordinal);
    readonly Dictionary<string, ToyFacts> _byDialogue = new(StringComparer.Ordinal);
    readonly ToyMisbehaviour _misbehaviour;
    readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    int _requests;

    /// <summary>A client that knows the toy documents <paramref name="documents"/> (by their toy ids; synthesized rows keep their source's id).</summary>
    public ToyWorldChatClient(IEnumerable<Document> documents, IReadOnlyList<double>? scoreWeights = null, ToyMisbehaviour? misbehaviour = null)
        : this(documents.Select(d => d.Id), scoreWeights, misbehaviour) { }

    public ToyWorldChatClient(IEnumerable<string> toyIds, IReadOnlyList<double>? scoreWeights = null, ToyMisbehaviour? misbehaviour = null)
    {
        _misbehaviour = misbehaviour ?? ToyMisbehaviour.None;
        foreach (var id in toyIds)
        {
            if (!ToyWorld.TryParseId(id, out _, out _)) continue;
            var facts = ToyWorld.Facts(id, scoreWeights);
            _bySource[ToyWorld.Render(facts).Trim()] = facts;
            if (facts.Score >= 4) _byDialogue[ToyCounterparts.Refusal(facts).Trim()] = facts;
        }
    }

    /// <summary>Requests answered so far (including failed attempts).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The pure answer to a conversation (no misbehaviour).</summary>
    public string Answer(IEnumerable<ChatMessage> messages)
    {
        var list = messages.ToList();
        var prompt = SynthesisPrompts.Recognise(list);
        if (prompt is null)
        {
            var last = list.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
            return $"I am the toy-world synthesizer. I rewrite toy-world documents when asked with the toolkit's synthesis prompts; I received {last.Length} characters of free text.";
        }
        var source = prompt.Source.Trim();
        switch (prompt.Task)
        {
            case SynthesisTask.Rephrase when _bySource.TryGetValue(source, out var f) && f.Score is >= 1 and <= 3:
                return ToyCounterparts.Rephrase(f, (RephraseStyle)(int)prompt.Style!.Value);
            case SynthesisTask.Refuse when _bySource.TryGetValue(source, out var f) && f.Score >= 4:
                return ToyCounterparts.Refusal(f);
            case SynthesisTask.Moral when _byDialogue.TryGetValue(source, out var f):
                return ToyCounterparts.MoralLesson(f);
            default:
                return "I'm sorry, but I can't help with rewriting this text.";
        }
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _requests);
        var list = messages.ToList();
        var text = Answer(list);
        var source = SynthesisPrompts.Recognise(list)?.Source ?? "";
        var m = _misbehaviour;
        if (source.Length > 0)
        {
            if (SeededDraw.Index(m.Seed, "toy-flaky", source, 1_000_000) < m.FlakyRate * 1_000_000 &&
                _attempts.AddOrUpdate(source, 1, (_, n) => n + 1) <= m.TransientFailures)
                throw new HttpRequestException("toy world: simulated 503 Service Unavailable", null, System.Net.HttpStatusCode.ServiceUnavailable);
            var draw = SeededDraw.Index(m.Seed, "toy-misbehave", source, 1_000_000) / 1_000_000.0;
            if (draw < m.EmptyRate) text = "";
            else if (draw < m.EmptyRate + m.DeclineRate) text = "I'm sorry, but I cannot help with this request.";
            else if (draw < m.EmptyRate + m.DeclineRate + m.EchoRate) text = source;
        }
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        var promptWords = list.Sum(x => (x.Text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = options?.ModelId ?? ModelName,
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = promptWords, OutputTokenCount = words, TotalTokenCount = promptWords + words },
        });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("toy-world", null, ModelName) : null;

    public void Dispose() { }
}
