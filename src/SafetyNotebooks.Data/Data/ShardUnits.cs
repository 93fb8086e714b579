namespace SafetyNotebooks.Data;

/// <summary>
/// One unit of work of a sharded job: a whole input file, or a range of row groups of a large Parquet file.
/// Units depend only on the inputs and <c>--row-groups-per-unit</c>, never on the number of workers, so the outputs'
/// names (and their union) are the same for one worker or many.
/// </summary>
/// <param name="FileRowGroups">Row groups of the whole file (-1 when not read: whole-file units and JSONL).</param>
/// <param name="FirstRow">Index of the unit's first row in the file (for per-row seeds and messages).</param>
public sealed record ShardUnit(string Input, string RelativePath, int FirstRowGroup = 0, int RowGroups = -1, int FileRowGroups = -1, long FirstRow = 0)
{
    /// <summary>True when the unit is the whole file.</summary>
    public bool WholeFile => RowGroups < 0 || (FirstRowGroup == 0 && RowGroups == FileRowGroups);

    /// <summary>Where the unit's output goes, relative to the output folder: the input's relative path, with
    /// <c>.rgFIRST-LAST</c> before the extension for a partial file (<c>00000.rg00004-00007.parquet</c>).</summary>
    public string OutputRelativePath => WholeFile ? RelativePath
        : Path.Combine(Path.GetDirectoryName(RelativePath) ?? "",
            $"{Path.GetFileNameWithoutExtension(RelativePath)}.rg{FirstRowGroup:D5}-{FirstRowGroup + RowGroups - 1:D5}{Path.GetExtension(RelativePath)}");
}

/// <summary>Splits inputs into <see cref="ShardUnit"/>s and assigns them to workers.</summary>
public static class ShardUnits
{
    /// <summary>
    /// Whole files (<paramref name="rowGroupsPerUnit"/> = 0), or for Parquet files with more row groups than that, one
    /// unit per <paramref name="rowGroupsPerUnit"/> consecutive row groups, in input order.
    /// </summary>
    public static async Task<IReadOnlyList<ShardUnit>> PlanAsync(IReadOnlyList<InputFile> files, int rowGroupsPerUnit, CancellationToken ct = default)
    {
        if (rowGroupsPerUnit < 0) throw new BadInputException("must be 0 (whole files) or positive", "--row-groups-per-unit", value: rowGroupsPerUnit.ToString());
        var units = new List<ShardUnit>();
        foreach (var f in files)
        {
            if (rowGroupsPerUnit == 0 || !f.Path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
            {
                units.Add(new ShardUnit(f.Path, f.RelativePath));
                continue;
            }
            var (_, groups) = await ParquetFiles.InspectAsync(f.Path, ct);
            if (groups.Count <= rowGroupsPerUnit)
            {
                units.Add(new ShardUnit(f.Path, f.RelativePath));
                continue;
            }
            long row = 0;
            for (var g = 0; g < groups.Count; g += rowGroupsPerUnit)
            {
                var n = Math.Min(rowGroupsPerUnit, groups.Count - g);
                units.Add(new ShardUnit(f.Path, f.RelativePath, g, n, groups.Count, row));
                row += groups.Skip(g).Take(n).Sum();
            }
        }
        return units;
    }

    /// <summary>The units worker <paramref name="index"/> of <paramref name="count"/> owns (unit k goes to worker k mod count).</summary>
    public static IReadOnlyList<ShardUnit> Owned(IReadOnlyList<ShardUnit> units, int index, int count) => ShardJob.SelectShard(units, index, count);

    /// <summary>The batches of one unit.</summary>
    public static IAsyncEnumerable<ParquetBatch> ReadAsync(ShardUnit unit, ParquetReadOptions? options, CancellationToken ct = default) =>
        ParquetFiles.ReadBatchesAsync(unit.Input, unit.FirstRowGroup, unit.RowGroups, options, ct);

    /// <summary>The documents of one unit (released schema plus the toolkit's columns).</summary>
    public static async IAsyncEnumerable<Document> DocumentsAsync(ShardUnit unit, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var batch in ReadAsync(unit, Documents.ReadOptions, ct))
            foreach (var d in Documents.FromBatch(batch, unit.Input)) yield return d;
    }
}
