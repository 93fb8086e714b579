using System.Text.Json.Nodes;

namespace SafetyNotebooks.Tokenization;

/// <summary>
/// What a tokenizer.json <c>post_processor</c> adds around one sequence when special tokens are requested: the ids
/// before and after it. Supported: TemplateProcessing, ByteLevel (offsets only: adds nothing), RobertaProcessing,
/// BertProcessing and Sequence; anything else is refused by name.
/// </summary>
public sealed record PostProcessor(IReadOnlyList<int> Before, IReadOnlyList<int> After)
{
    public static PostProcessor None { get; } = new([], []);

    public IReadOnlyList<int> Apply(IReadOnlyList<int> ids)
    {
        if (Before.Count == 0 && After.Count == 0) return ids;
        var result = new List<int>(ids.Count + Before.Count + After.Count);
        result.AddRange(Before); result.AddRange(ids); result.AddRange(After);
        return result;
    }

    public static PostProcessor FromJson(JsonNode? node, string source, string field = "post_processor")
    {
        if (node is null) return None;
        var type = node["type"]?.GetValue<string>();
        switch (type)
        {
            case "ByteLevel":
                return None;
            case "Sequence":
                var steps = (node["processors"] as JsonArray ?? throw new BadInputException("missing", source, $"{field}.processors"))
                    .Select((p, i) => FromJson(p, source, $"{field}.processors[{i}]")).ToList();
                return new(steps.SelectMany(s => s.Before).ToList(), steps.SelectMany(s => s.After).ToList());
            case "TemplateProcessing":
                return Template(node, source, field);
            case "RobertaProcessing":
            case "BertProcessing":
                return new([TokenId(node["cls"], source, $"{field}.cls")], [TokenId(node["sep"], source, $"{field}.sep")]);
            default:
                throw new BadInputException("unsupported post-processor", source, $"{field}.type", type ?? "null");
        }
    }

    /// <summary>["token", id] of Bert/Roberta processing.</summary>
    static int TokenId(JsonNode? pair, string source, string field) =>
        pair is JsonArray { Count: 2 } a ? BpeModel.Id(a[1], source, $"{field}[1]") : throw new BadInputException("expected [token, id]", source, field, pair?.ToJsonString() ?? "null");

    /// <summary>The <c>single</c> template: special tokens before and after the one <c>Sequence</c> item.</summary>
    static PostProcessor Template(JsonNode node, string source, string field)
    {
        var single = node["single"] as JsonArray ?? throw new BadInputException("missing", source, $"{field}.single");
        var specials = node["special_tokens"] as JsonObject ?? [];
        var before = new List<int>(); var after = new List<int>();
        var seenSequence = false;
        for (var i = 0; i < single.Count; i++)
        {
            var item = single[i];
            if (item?["Sequence"] is not null) { seenSequence = true; continue; }
            var name = item?["SpecialToken"]?["id"]?.GetValue<string>()
                ?? throw new BadInputException("expected SpecialToken or Sequence", source, $"{field}.single[{i}]", item?.ToJsonString() ?? "null");
            var ids = specials[name]?["ids"] as JsonArray ?? throw new BadInputException("special token not in special_tokens", source, $"{field}.single[{i}]", name);
            (seenSequence ? after : before).AddRange(ids.Select((id, k) => BpeModel.Id(id, source, $"{field}.special_tokens.{name}.ids[{k}]")));
        }
        return new(before, after);
    }
}
