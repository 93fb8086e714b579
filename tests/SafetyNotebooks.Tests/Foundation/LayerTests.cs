using System.Reflection;
using System.Xml.Linq;

namespace SafetyNotebooks.Tests.Foundation;

/// <summary>
/// The toolkit's assemblies form layers that depend only downwards (docs/architecture.md): checked on the project
/// files (what a change to a .csproj may add) and on the compiled assemblies (what the code really uses).
/// </summary>
public class LayerTests
{
    // Each layer with the layers it may reference directly; the order is bottom-up.
    static readonly (string Name, string[] References)[] Allowed =
    [
        ("SafetyNotebooks.Data", []),
        ("SafetyNotebooks.Launch", ["SafetyNotebooks.Data"]),
        ("SafetyNotebooks.Synthesis", ["SafetyNotebooks.Data"]),
        ("SafetyNotebooks.Modeling", ["SafetyNotebooks.Data"]),
        ("SafetyNotebooks.Decoding", ["SafetyNotebooks.Modeling"]),
        ("SafetyNotebooks.Scoring", ["SafetyNotebooks.Modeling"]),
        ("SafetyNotebooks.Evaluation", ["SafetyNotebooks.Decoding", "SafetyNotebooks.Scoring"]),
        ("SafetyNotebooks.Serving", ["SafetyNotebooks.Decoding"]),
        ("SafetyNotebooks", ["SafetyNotebooks.Evaluation", "SafetyNotebooks.Serving", "SafetyNotebooks.Synthesis", "SafetyNotebooks.Launch"]),
        ("SafetyNotebooks.Notebooks", ["SafetyNotebooks"]),
        ("SafetyNotebooks.Cli", ["SafetyNotebooks", "SafetyNotebooks.Notebooks"]),
    ];

    // Layers that must run without libtorch, Plotly or ASP.NET Core.
    static readonly string[] TorchFree = ["SafetyNotebooks.Data", "SafetyNotebooks.Launch", "SafetyNotebooks.Synthesis"];

    static string Src => Path.Combine(TestDirs.RepoRoot(), "src");

    static XDocument Project(string name) => XDocument.Load(Path.Combine(Src, name, name + ".csproj"));

    static IReadOnlyList<string> Attr(XDocument project, string element) =>
        project.Descendants(element).Select(e => (string)e.Attribute("Include")!).ToList();

    static HashSet<string> Below(string name)
    {
        var seen = new HashSet<string>();
        var todo = new Stack<string>(Allowed.Single(a => a.Name == name).References);
        while (todo.TryPop(out var n))
            if (seen.Add(n)) foreach (var r in Allowed.Single(a => a.Name == n).References) todo.Push(r);
        return seen;
    }

    [Fact]
    public void Every_project_under_src_is_a_known_layer()
    {
        var projects = Directory.GetDirectories(Src).Where(d => File.Exists(Path.Combine(d, Path.GetFileName(d) + ".csproj")))
            .Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Allowed.Select(a => a.Name).Order(StringComparer.Ordinal), projects);
    }

    [Fact]
    public void Project_references_are_exactly_the_allowed_ones_and_point_downwards()
    {
        for (var i = 0; i < Allowed.Length; i++)
        {
            var (name, allowed) = Allowed[i];
            var refs = Attr(Project(name), "ProjectReference").Select(r => Path.GetFileNameWithoutExtension(r.Replace('\\', '/'))).Order(StringComparer.Ordinal);
            Assert.Equal(allowed.Order(StringComparer.Ordinal), refs);
            foreach (var r in allowed) Assert.True(Array.FindIndex(Allowed, a => a.Name == r) < i, $"{name} references {r}, which is not below it");
        }
    }

    [Fact]
    public void The_data_launch_and_synthesis_layers_name_no_torch_plotly_or_aspnet_package()
    {
        foreach (var name in TorchFree)
        {
            var p = Project(name);
            var packages = Attr(p, "PackageReference").Concat(Attr(p, "FrameworkReference")).ToList();
            Assert.DoesNotContain(packages, x => x.StartsWith("TorchSharp", StringComparison.Ordinal) || x.StartsWith("libtorch", StringComparison.Ordinal)
                                                 || x.StartsWith("Plotly", StringComparison.Ordinal) || x == "Microsoft.AspNetCore.App");
        }
    }

    [Fact]
    public void Compiled_assemblies_reference_only_layers_below_them()
    {
        foreach (var (name, _) in Allowed.Where(a => a.Name is not ("SafetyNotebooks.Cli" or "SafetyNotebooks.Notebooks")))
        {
            var refs = Assembly.Load(name).GetReferencedAssemblies().Select(r => r.Name!).ToList();
            var layers = refs.Where(r => r.StartsWith("SafetyNotebooks", StringComparison.Ordinal)).ToList();
            Assert.True(layers.All(Below(name).Contains), $"{name} references {string.Join(", ", layers.Except(Below(name)))}");
            if (name != "SafetyNotebooks") Assert.DoesNotContain(refs, r => r.StartsWith("Plotly", StringComparison.Ordinal));
            if (TorchFree.Contains(name))
                Assert.DoesNotContain(refs, r => r.StartsWith("TorchSharp", StringComparison.Ordinal) || r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_data_layer_really_is_used_without_torch()
    {
        // a type from each torch-free layer lives where the layer says, so the checks above are about real code
        Assert.Equal("SafetyNotebooks.Data", typeof(SafetyNotebooks.Tagging.HarmfulnessTagger).Assembly.GetName().Name);
        Assert.Equal("SafetyNotebooks.Data", typeof(SafetyNotebooks.Decoding.ChatTurn).Assembly.GetName().Name);
        Assert.Equal("SafetyNotebooks.Launch", typeof(SafetyNotebooks.Launch.TrainingMetrics).Assembly.GetName().Name);
        Assert.Equal("SafetyNotebooks.Modeling", typeof(SafetyNotebooks.Torch).Assembly.GetName().Name);
    }

    [Fact]
    public void The_notebook_kernel_preloads_every_layer()
    {
        var loaded = SafetyNotebooks.Notebooks.NotebookKernel.ToolkitAssemblies().Select(Path.GetFileNameWithoutExtension).ToHashSet();
        var layers = Allowed.Select(a => a.Name).Where(n => n is not ("SafetyNotebooks.Cli" or "SafetyNotebooks.Notebooks")).ToList();
        Assert.Equal(layers, SafetyNotebooks.Notebooks.NotebookKernel.ToolkitLayers);
        foreach (var name in layers) Assert.Contains(name, loaded);
        Assert.Contains("TorchSharp", loaded);
    }
}
