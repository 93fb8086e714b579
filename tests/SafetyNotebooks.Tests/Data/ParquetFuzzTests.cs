using FsCheck;
using FsCheck.Xunit;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Tagging;
using SafetyNotebooks.Tests.Foundation;
using SafetyNotebooks.Tests.Foundation.Hostile;

namespace SafetyNotebooks.Tests.Data;

/// <summary>Damaged Parquet files (footer, page headers, pages) are refused as bad input by both readers, never crash or hang.</summary>
public sealed class ParquetFuzzTests
{
    static readonly Lazy<byte[]> Original = new(() =>
    {
        var path = Path.Combine(TestDirs.Fresh(), "seed.parquet");
        Documents.WriteAsync(path, ToyWorld.Corpus(12, new ToyOptions(2)).ToList(), new DocumentWriteOptions(RowGroupSize: 4)).GetAwaiter().GetResult();
        return File.ReadAllBytes(path);
    });

    [Property(MaxTest = 60)]
    public Property The_general_reader_only_refuses() =>
        Fuzz.OnlyRefusesDamaged(Original.Value, ".parquet", async path => { await Documents.ReadListAsync(path); });

    [Property(MaxTest = 40)]
    public Property The_tagger_only_refuses_and_writes_nothing_for_a_refused_file() =>
        Fuzz.OnlyRefusesDamaged(Original.Value, ".parquet", async path =>
        {
            var output = Path.Combine(TestDirs.Fresh("fuzz-out"), "out");
            try
            {
                var job = await TagParquet.PrepareAsync([path], new TagJobOptions(new TagOptions()));
                await TagParquet.RunAsync(job, output);
            }
            catch (BadInputException)
            {
                if (File.Exists(Path.Combine(output, "input.parquet"))) throw new InvalidOperationException("a refused file left an output");
                throw;
            }
        });
}
