using System.Text.Json;

namespace SafetyNotebooks.Notebooks;

/// <summary>
/// The shape of a Jupyter notebook (nbformat 4) checked before it is parsed: a JSON object, <c>nbformat</c> 4,
/// a <c>cells</c> list of objects whose <c>cell_type</c> is code, markdown or raw and whose <c>source</c> is a string
/// or a list of strings. Anything else is refused naming the field, rather than crashing or dropping a cell.
/// </summary>
public static class NotebookSchema
{
    public const int SupportedFormat = 4;

    public static void Check(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new BadInputException($"a notebook is a JSON object, not {Kind(root)}", path, "(top level)");
        if (root.TryGetProperty("nbformat", out var format) && !(format.TryGetInt32(out var v) && v == SupportedFormat))
            throw new BadInputException($"only nbformat {SupportedFormat} notebooks are supported", path, "nbformat", format.GetRawText());
        if (!root.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array)
            throw new BadInputException("not a Jupyter notebook (no 'cells' array)", path, "cells");
        var i = 0;
        foreach (var cell in cells.EnumerateArray()) CheckCell(cell, path, $"cells[{i++}]");
    }

    static void CheckCell(JsonElement cell, string path, string at)
    {
        if (cell.ValueKind != JsonValueKind.Object) throw new BadInputException($"a cell is a JSON object, not {Kind(cell)}", path, at);
        if (!cell.TryGetProperty("cell_type", out var type) || type.GetString() is not ("code" or "markdown" or "raw"))
            throw new BadInputException("expected code, markdown or raw", path, at + ".cell_type", cell.TryGetProperty("cell_type", out var t) ? t.GetRawText() : "(missing)");
        if (!cell.TryGetProperty("source", out var source)) throw new BadInputException("missing", path, at + ".source");
        var ok = source.ValueKind == JsonValueKind.String
                 || source.ValueKind == JsonValueKind.Array && source.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String);
        if (!ok) throw new BadInputException("expected a string or a list of strings", path, at + ".source", Short(source.GetRawText()));
    }

    static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => "a list", JsonValueKind.String => "a string", JsonValueKind.Number => "a number", _ => e.ValueKind.ToString().ToLowerInvariant(),
    };

    static string Short(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
