using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace SafetyNotebooks.Serving;

/// <summary>A request the server refuses, with the HTTP status and the OpenAI-style error body fields.</summary>
public sealed class ProtocolError(int status, string message, string? param = null, string type = "invalid_request_error", string? code = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string Type { get; } = type;
    public string? Code { get; } = code;

    /// <summary>The JSON error body: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
    public JsonObject ToJson() => OpenAiProtocol.Error(Message, Type, Param, Code);
}

/// <summary>A validated chat or completions request.</summary>
public sealed record ParsedRequest(string? Model, GenerationRequest Generation, bool Stream);

/// <summary>
/// The OpenAI wire format as pure functions: request bodies → <see cref="ParsedRequest"/> (or a <see cref="ProtocolError"/>
/// naming the offending field), replies → response bodies. Besides the standard fields, a request may carry
/// <c>"safe_beam": {"beams": 4, "candidates": 8, "discard_fraction": 0.5}</c> to decode with Safe Beam Search.
/// </summary>
public static class OpenAiProtocol
{
    public sealed record Limits(int MaxTokens = 2048, int MaxMessages = 256, int MaxBeams = 16, int MaxStop = 4);

    public static JsonObject Error(string message, string type = "invalid_request_error", string? param = null, string? code = null) =>
        new() { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = code } };

    public static ParsedRequest ParseChat(JsonElement body, Limits limits)
    {
        RequireObject(body);
        if (!body.TryGetProperty("messages", out var msgs) || msgs.ValueKind != JsonValueKind.Array)
            throw new ProtocolError(400, "'messages' must be an array of {role, content} objects", "messages");
        if (msgs.GetArrayLength() == 0) throw new ProtocolError(400, "'messages' must not be empty", "messages");
        if (msgs.GetArrayLength() > limits.MaxMessages) throw new ProtocolError(400, $"at most {limits.MaxMessages} messages", "messages");
        var messages = new List<ChatMessage>();
        var i = 0;
        foreach (var m in msgs.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) throw new ProtocolError(400, "each message must be an object", $"messages[{i}]");
            var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
            var chatRole = role switch
            {
                "system" or "developer" => ChatRole.System,
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                "tool" => ChatRole.Tool,
                _ => throw new ProtocolError(400, $"unknown role '{role}' (expected system, user, assistant or tool)", $"messages[{i}].role"),
            };
            messages.Add(new ChatMessage(chatRole, Content(m, i)));
            i++;
        }
        return new ParsedRequest(Model(body), new GenerationRequest(messages, null, MaxTokens(body, limits), Stop(body, limits), Decoding(body, limits)), Stream(body));
    }

    public static ParsedRequest ParseCompletion(JsonElement body, Limits limits)
    {
        RequireObject(body);
        if (!body.TryGetProperty("prompt", out var p)) throw new ProtocolError(400, "'prompt' is required", "prompt");
        var prompt = p.ValueKind switch
        {
            JsonValueKind.String => p.GetString()!,
            JsonValueKind.Array when p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String => p[0].GetString()!,
            JsonValueKind.Array => throw new ProtocolError(400, "one prompt per request (batches of prompts are not supported)", "prompt"),
            _ => throw new ProtocolError(400, "'prompt' must be a string", "prompt"),
        };
        return new ParsedRequest(Model(body), new GenerationRequest(null, prompt, MaxTokens(body, limits), Stop(body, limits), Decoding(body, limits)), Stream(body));
    }

    static void RequireObject(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new ProtocolError(400, "the request body must be a JSON object");
        if (body.TryGetProperty("n", out var n) && !(n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out var v) && v == 1))
            throw new ProtocolError(400, "only n = 1 is supported", "n");
    }

    static string Content(JsonElement message, int index)
    {
        if (!message.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null) return "";
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind == JsonValueKind.Array) // [{"type": "text", "text": "..."}]
            return string.Concat(c.EnumerateArray().Select(part =>
                part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.GetString() == "text" && part.TryGetProperty("text", out var x) && x.ValueKind == JsonValueKind.String
                    ? x.GetString()
                    : throw new ProtocolError(400, "only text content parts are supported", $"messages[{index}].content")));
        throw new ProtocolError(400, "'content' must be a string or a list of text parts", $"messages[{index}].content");
    }

    static string? Model(JsonElement body) =>
        body.TryGetProperty("model", out var m) ? m.ValueKind == JsonValueKind.String ? m.GetString() : throw new ProtocolError(400, "'model' must be a string", "model") : null;

    static bool Stream(JsonElement body) =>
        body.TryGetProperty("stream", out var s) && (s.ValueKind is JsonValueKind.True or JsonValueKind.False ? s.GetBoolean() : throw new ProtocolError(400, "'stream' must be a boolean", "stream"));

    static int MaxTokens(JsonElement body, Limits limits)
    {
        foreach (var name in new[] { "max_completion_tokens", "max_tokens" })
            if (body.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null)
                return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 1 && n <= limits.MaxTokens
                    ? n : throw new ProtocolError(400, $"'{name}' must be an integer from 1 to {limits.MaxTokens}", name);
        return Math.Min(256, limits.MaxTokens);
    }

    static IReadOnlyList<string> Stop(JsonElement body, Limits limits)
    {
        if (!body.TryGetProperty("stop", out var s) || s.ValueKind == JsonValueKind.Null) return [];
        var list = s.ValueKind switch
        {
            JsonValueKind.String => [s.GetString()!],
            JsonValueKind.Array => s.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : throw new ProtocolError(400, "stop sequences must be strings", "stop")).ToList(),
            _ => throw new ProtocolError(400, "'stop' must be a string or a list of strings", "stop"),
        };
        if (list.Count > limits.MaxStop || list.Any(x => x.Length == 0)) throw new ProtocolError(400, $"at most {limits.MaxStop} non-empty stop sequences", "stop");
        return list;
    }

    static double? Number(JsonElement body, string name, double min, double max)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.GetDouble() is var d && d >= min && d <= max
            ? d : throw new ProtocolError(400, $"'{name}' must be a number from {min} to {max}", name);
    }

    static DecodingRequest Decoding(JsonElement body, Limits limits)
    {
        var temperature = Number(body, "temperature", 0, 2);
        var topP = Number(body, "top_p", 0, 1);
        if (topP == 0) throw new ProtocolError(400, "'top_p' must be above 0", "top_p");
        long? seed = body.TryGetProperty("seed", out var s) && s.ValueKind != JsonValueKind.Null
            ? s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var sv) ? sv : throw new ProtocolError(400, "'seed' must be an integer", "seed")
            : null;
        SafeBeamRequest? beam = null;
        if (body.TryGetProperty("safe_beam", out var b) && b.ValueKind != JsonValueKind.Null && b.ValueKind != JsonValueKind.False)
        {
            beam = new SafeBeamRequest();
            if (b.ValueKind == JsonValueKind.Object)
            {
                int Int(string name, int min, int max) =>
                    b.GetProperty(name) is var v && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= min && n <= max
                        ? n : throw new ProtocolError(400, $"'safe_beam.{name}' must be an integer from {min} to {max}", $"safe_beam.{name}");
                if (b.TryGetProperty("beams", out _)) beam = beam with { Beams = Int("beams", 1, limits.MaxBeams) };
                if (b.TryGetProperty("candidates", out _)) beam = beam with { Candidates = Int("candidates", 1, 4 * limits.MaxBeams) };
                if (b.TryGetProperty("discard_fraction", out var f))
                    beam = beam with
                    {
                        DiscardFraction = f.ValueKind == JsonValueKind.Number && f.GetDouble() is var d && d >= 0 && d < 1
                            ? d : throw new ProtocolError(400, "'safe_beam.discard_fraction' must be in [0, 1)", "safe_beam.discard_fraction"),
                    };
                foreach (var p in b.EnumerateObject())
                    if (p.Name is not ("beams" or "candidates" or "discard_fraction"))
                        throw new ProtocolError(400, $"unknown Safe Beam Search parameter '{p.Name}' (beams, candidates, discard_fraction)", $"safe_beam.{p.Name}");
            }
            else if (b.ValueKind != JsonValueKind.True)
                throw new ProtocolError(400, "'safe_beam' must be true or an object {beams, candidates, discard_fraction}", "safe_beam");
        }
        return new DecodingRequest(temperature, topP, seed, beam);
    }

    static JsonObject Usage(GenerationReply r) => new()
    {
        ["prompt_tokens"] = r.PromptTokens,
        ["completion_tokens"] = r.CompletionTokens,
        ["total_tokens"] = r.PromptTokens + r.CompletionTokens,
    };

    public static JsonObject ChatResponse(string id, long created, string model, GenerationReply r) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion",
        ["created"] = created,
        ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = r.Text },
            ["logprobs"] = null,
            ["finish_reason"] = r.FinishReason,
        }),
        ["usage"] = Usage(r),
    };

    /// <summary>The stream of a chat reply: one chunk with the role and text, one with the finish reason.</summary>
    public static IEnumerable<JsonObject> ChatChunks(string id, long created, string model, GenerationReply r)
    {
        JsonObject Chunk(JsonObject delta, string? finish) => new()
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finish }),
        };
        yield return Chunk(new JsonObject { ["role"] = "assistant", ["content"] = r.Text }, null);
        var last = Chunk(new JsonObject(), r.FinishReason);
        last["usage"] = Usage(r);
        yield return last;
    }

    public static JsonObject CompletionResponse(string id, long created, string model, GenerationReply r) => new()
    {
        ["id"] = id,
        ["object"] = "text_completion",
        ["created"] = created,
        ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["text"] = r.Text, ["logprobs"] = null, ["finish_reason"] = r.FinishReason }),
        ["usage"] = Usage(r),
    };

    /// <summary>A streamed completion is sent as one chunk that holds the whole response.</summary>
    public static IEnumerable<JsonObject> CompletionChunks(string id, long created, string model, GenerationReply r)
    {
        yield return CompletionResponse(id, created, model, r);
    }

    public static JsonObject Models(string model, long created) => new()
    {
        ["object"] = "list",
        ["data"] = new JsonArray(new JsonObject { ["id"] = model, ["object"] = "model", ["created"] = created, ["owned_by"] = "safetynb" }),
    };
}
