using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SafetyNotebooks;

/// <summary>
/// Wraps a keyed chat client so that neither its errors nor its answers can carry the key further: a server that
/// echoes the Authorization header (in a 401 body or in a completion) reaches messages, journals and outputs masked.
/// </summary>
public sealed class RedactingChatClient(IChatClient inner, Redactor redactor) : DelegatingChatClient(inner)
{
    public static IChatClient Wrap(IChatClient client, Redactor redactor) => redactor.IsEmpty ? client : new RedactingChatClient(client, redactor);

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ChatResponse response;
        try { response = await base.GetResponseAsync(messages, options, cancellationToken); }
        catch (Exception e) when (redactor.Redact(e) is var clean && !ReferenceEquals(clean, e)) { throw clean; }
        return new ChatResponse(response.Messages.Select(Clean).ToList())
        {
            ResponseId = response.ResponseId, ModelId = response.ModelId, FinishReason = response.FinishReason, Usage = response.Usage, CreatedAt = response.CreatedAt,
        };
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            ChatResponseUpdate update;
            try
            {
                if (!await updates.MoveNextAsync()) yield break;
                update = updates.Current;
            }
            catch (Exception e) when (redactor.Redact(e) is var clean && !ReferenceEquals(clean, e)) { throw clean; }
            yield return new ChatResponseUpdate(update.Role, update.Contents.Select(CleanContent).ToList())
            {
                ResponseId = update.ResponseId, ModelId = update.ModelId, FinishReason = update.FinishReason, CreatedAt = update.CreatedAt,
            };
        }
    }

    ChatMessage Clean(ChatMessage m) => new(m.Role, m.Contents.Select(CleanContent).ToList()) { AuthorName = m.AuthorName, MessageId = m.MessageId };

    AIContent CleanContent(AIContent c) => c switch
    {
        TextContent t => new TextContent(redactor.Redact(t.Text ?? "")),
        TextReasoningContent r => new TextReasoningContent(redactor.Redact(r.Text ?? "")),
        ErrorContent e => new ErrorContent(redactor.Redact(e.Message ?? "")) { ErrorCode = e.ErrorCode },
        _ => c,
    };
}
