namespace SafetyNotebooks;

/// <summary>
/// The one check every command runs before it writes outputs: the output may not be an input, may not lie inside an
/// input folder (a rerun would read its own outputs as inputs), and must be a folder where a folder is expected.
/// Paths are compared after resolving symbolic links, so a link to the input counts as the input.
/// </summary>
public static class OutputGuard
{
    /// <summary>
    /// Refuses <paramref name="output"/> as an output folder for <paramref name="inputs"/>; returns it unchanged.
    /// <paramref name="readsSubfolders"/> false: the command reads only the top level of an input folder, so a subfolder is safe.
    /// </summary>
    public static string Folder(string output, IEnumerable<string?> inputs, string option = "--output", bool readsSubfolders = true)
    {
        if (string.IsNullOrWhiteSpace(output)) throw new BadInputException("empty path", option, value: output);
        if (System.IO.File.Exists(output)) throw new BadInputException("is an existing file; a folder is expected here", option, value: output);
        var real = SafePath.Real(output);
        foreach (var input in inputs.OfType<string>().Where(i => i.Length > 0 && (System.IO.File.Exists(i) || Directory.Exists(i))))
        {
            var source = SafePath.Real(input);
            if (real == source)
                throw new BadInputException($"is the input {input} itself; writing there would overwrite it (choose another folder)", option, value: output);
            if (readsSubfolders && Directory.Exists(source) && SafePath.IsWithin(source, real))
                throw new BadInputException($"lies inside the input folder {input}: a rerun would read its own outputs as inputs (choose a folder outside it)", option, value: output);
        }
        return output;
    }

    /// <summary>Refuses an output file that is one of <paramref name="inputs"/> or an existing folder; returns it unchanged.</summary>
    public static string SingleFile(string output, IEnumerable<string?> inputs, string option = "--output")
    {
        if (Directory.Exists(output)) throw new BadInputException("is an existing folder; a file is expected here", option, value: output);
        var real = SafePath.Real(output);
        foreach (var input in inputs.OfType<string>().Where(System.IO.File.Exists))
            if (SafePath.Real(input) == real)
                throw new BadInputException($"is the input {input} itself; writing there would overwrite it", option, value: output);
        return output;
    }
}
