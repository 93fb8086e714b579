using System.Text;
using FsCheck;
using FsCheck.Xunit;
using SafetyNotebooks.Notebooks;
using SafetyNotebooks.Tests.Foundation.Hostile;

namespace SafetyNotebooks.Tests.Foundation;

/// <summary>Notebook files from strangers: damaged bytes and wrong shapes are refused naming the field, never crash.</summary>
public sealed class NotebookFuzzTests
{
    const string Valid = """
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": ".net-csharp", "language": "C#", "display_name": "C#"}},
         "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "text"]},
                   {"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [], "source": "1 + 1"}]}
        """;

    [Property(MaxTest = 120)]
    public Property Damaged_notebooks_only_refuse() =>
        Fuzz.OnlyRefusesDamaged(Encoding.UTF8.GetBytes(Valid), ".ipynb", path =>
        {
            NotebookRunner.Load(path);
            return Task.CompletedTask;
        });

    [Theory]
    [InlineData("[1, 2]", "(top level)", "a list")]
    [InlineData("""{"nbformat": 9, "cells": []}""", "nbformat", "9")]
    [InlineData("""{"nbformat": 4, "cells": [{"cell_type": "code", "source": 42}]}""", "cells[0].source", "42")]
    [InlineData("""{"nbformat": 4, "cells": [{"cell_type": "code", "source": ["a", 1]}]}""", "cells[0].source", "1")]
    [InlineData("""{"nbformat": 4, "cells": [7]}""", "cells[0]", "a number")]
    [InlineData("""{"nbformat": 4, "cells": [{"cell_type": "python", "source": ""}]}""", "cells[0].cell_type", "python")]
    public void Wrong_shapes_are_refused_naming_the_field(string json, string field, string mention)
    {
        var path = Path.Combine(TestDirs.Fresh(), "n.ipynb");
        File.WriteAllText(path, json);
        var e = Assert.Throws<BadInputException>(() => NotebookRunner.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(field, e.Message);
        Assert.Contains(mention, e.Message);
    }

    [Fact]
    public async Task Notebooks_run_on_a_bad_notebook_is_exit_2_and_writes_nothing()
    {
        var dir = TestDirs.Fresh();
        var path = Path.Combine(dir, "n.ipynb");
        File.WriteAllText(path, "[]");
        var output = Path.Combine(dir, "out");
        var r = await CliRunner.RunAsync("notebooks", "run", path, "--output-dir", output);
        Assert.Equal(2, r.Code);
        Assert.Contains("(top level)", r.Err);
        Assert.False(Directory.Exists(output));
    }
}
