using System.CommandLine;
using SafetyNotebooks.Data;

namespace SafetyNotebooks.Cli.Commands;

/// <summary>
/// The options every file stage shares (score, synth, tag, mix, data convert, export litdata): the same names, the
/// same meaning, so a SLURM array runs any stage with <c>--shard-index $SLURM_ARRAY_TASK_ID --num-shards N</c>.
/// </summary>
public sealed record StageOptions(Option<int> ShardIndex, Option<int> NumShards, Option<int> RowGroupsPerUnit)
{
    public static StageOptions Create() => new(
        new Option<int>("--shard-index") { Description = "This worker's index among --num-shards (e.g. $SLURM_ARRAY_TASK_ID)", DefaultValueFactory = _ => 0 },
        new Option<int>("--num-shards") { Description = "Number of workers sharing the units of work (files, or row-group ranges)", DefaultValueFactory = _ => 1 },
        new Option<int>("--row-groups-per-unit") { Description = "Split Parquet files with more row groups into units of this many (0 = whole files); outputs NAME.rgFIRST-LAST.parquet", DefaultValueFactory = _ => 0 });

    /// <summary>Adds the three options to <paramref name="command"/>.</summary>
    public Command AddTo(Command command)
    {
        command.Options.Add(ShardIndex);
        command.Options.Add(NumShards);
        command.Options.Add(RowGroupsPerUnit);
        return command;
    }

    /// <summary>The job options of a Parquet → Parquet stage with the one input-root rule.</summary>
    public ShardJobOptions Job(ParseResult parse, string output, IReadOnlyList<string> inputs, int threads = 1) =>
        new(output, parse.GetValue(ShardIndex), parse.GetValue(NumShards), threads, InputFiles.RootOf(inputs), RowGroupsPerUnit: parse.GetValue(RowGroupsPerUnit));
}
