using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;
using Plotly.NET;
using SafetyNotebooks.Reporting;

namespace SafetyNotebooks.Notebooks;

/// <summary>
/// The in-process C# engine shared by the headless notebook host and the Jupyter kernel:
/// a C# kernel with #r "nuget:" support, default usings, and formatters for Plotly.NET charts (plotly.js inlined,
/// so saved outputs render offline) and DataFrames. It runs with the toolkit's own FSharp.Core (≥ 10.1),
/// which is what lets Plotly.NET 6 load.
/// </summary>
public static class NotebookKernel
{
    /// <summary>Usings every cell sees (a bare CSharpKernel has none).</summary>
    public const string Preamble =
        "using System; using System.IO; using System.Linq; using System.Text; using System.Threading.Tasks; " +
        "using System.Collections.Generic; using Microsoft.DotNet.Interactive;";

    /// <summary>
    /// A fresh kernel whose cells see <c>NotebookFolder</c>, the absolute folder of the notebook they belong to: a cell
    /// resolves its relative paths against it (<c>Path.Combine(NotebookFolder, "data.csv")</c>), never against the
    /// process's current directory, which the host shares with whatever else runs in the process and never changes.
    /// </summary>
    public static async Task<CompositeKernel> CreateAsync(string notebookFolder)
    {
        RegisterFormatters();
        var csharp = new CSharpKernel()
            .UseKernelHelpers()
            .UseNugetDirective(async (k, refs) =>
            {
                k.AddAssemblyReferences(refs.SelectMany(r => r.AssemblyPaths));
                await LoadExtensionsAsync(k, refs);
            });
        // The toolkit is preloaded: cells use it without #r, so a notebook works wherever the kernel runs.
        csharp.AddAssemblyReferences(ToolkitAssemblies());
        var kernel = new CompositeKernel { csharp };
        kernel.DefaultKernelName = csharp.Name;
        await SubmitSetupAsync(kernel, Preamble + " " + FolderDeclaration(notebookFolder));
        return kernel;
    }

    /// <summary>The C# declaration of <c>NotebookFolder</c> (absolute, as a verbatim string literal).</summary>
    public static string FolderDeclaration(string notebookFolder) =>
        $"var NotebookFolder = @\"{Path.GetFullPath(notebookFolder).Replace("\"", "\"\"", StringComparison.Ordinal)}\";";

    static async Task SubmitSetupAsync(Kernel kernel, string code)
    {
        var result = await kernel.SendAsync(new SubmitCode(code, "csharp"));
        if (result.Events.OfType<Microsoft.DotNet.Interactive.Events.CommandFailed>().FirstOrDefault() is { } failed)
            throw new InvalidOperationException($"the notebook kernel failed to start: {failed.Message}");
    }

    /// <summary>The toolkit's layer assemblies, bottom-up (docs/architecture.md); cells see every one.</summary>
    public static IReadOnlyList<string> ToolkitLayers { get; } =
    [
        "SafetyNotebooks.Data", "SafetyNotebooks.Launch", "SafetyNotebooks.Synthesis", "SafetyNotebooks.Modeling", "SafetyNotebooks.Decoding",
        "SafetyNotebooks.Scoring", "SafetyNotebooks.Evaluation", "SafetyNotebooks.Serving", "SafetyNotebooks",
    ];

    /// <summary>The assemblies every cell can use: every layer of the toolkit and the libraries its public API exposes.</summary>
    public static IEnumerable<string> ToolkitAssemblies() =>
        ToolkitLayers.Select(n => System.Reflection.Assembly.Load(n))
            .Concat(new[]
            {
                typeof(GenericChart), typeof(Plotly.NET.CSharp.Chart), typeof(Microsoft.FSharp.Core.FSharpOption<>),
                typeof(Microsoft.Data.Analysis.DataFrame), typeof(TorchSharp.torch),
            }.Select(t => t.Assembly))
            .Select(a => a.Location).Distinct();

    static int _formattersRegistered;

    // Formatter registration is process-wide in .NET Interactive; do it once.
    static void RegisterFormatters()
    {
        if (Interlocked.Exchange(ref _formattersRegistered, 1) == 1) return;
        // charts are fragments: the host and the kernel add plotly.js once per notebook (PlotlyOnce)
        Formatter.Register<GenericChart>((chart, writer) => writer.Write(Charts.ToFragment(chart)), HtmlFormatter.MimeType);
        Formatter.Register<Microsoft.Data.Analysis.DataFrame>((df, writer) => writer.Write(Tables.ToHtml(df)), HtmlFormatter.MimeType);
        // numbers rounded to what they mean, in text and HTML
        Formatter.Register<double>((d, writer) => writer.Write(Tables.Round(d)), PlainTextFormatter.MimeType);
        Formatter.Register<double>((d, writer) => writer.Write(Tables.Round(d)), HtmlFormatter.MimeType);
        Formatter.Register<float>((f, writer) => writer.Write(Tables.Round(f)), PlainTextFormatter.MimeType);
        Formatter.Register<float>((f, writer) => writer.Write(Tables.Round(f)), HtmlFormatter.MimeType);
        // lists of records as flat tables, one record as a field table; anything else keeps .NET Interactive's rendering
        Formatter.Register(new HtmlFormatter<System.Collections.IEnumerable>((items, context) =>
        {
            context.Writer.Write(Tables.RecordElementType(items) is { } element ? Tables.RecordsToHtml(items, element) : PlainText(items));
            return true;
        }));
        Formatter.Register(new HtmlFormatter<object>((value, context) =>
        {
            context.Writer.Write(IsRecord(value.GetType()) ? Tables.RecordToHtml(value) : PlainText(value));
            return true;
        }));
    }

    // a registered HTML formatter that declines leaves the output empty, so other values are shown as their plain text
    static string PlainText(object value) =>
        "<pre>" + System.Net.WebUtility.HtmlEncode(value.ToDisplayString(PlainTextFormatter.MimeType)) + "</pre>";

    // C# records (compiler-generated <Clone>$) and anonymous types; not every class with properties (kernels, streams…)
    static bool IsRecord(Type t) =>
        Tables.IsRecordLike(t) && (t.GetMethod("<Clone>$") is not null || t.Name.Contains("AnonymousType", StringComparison.Ordinal));

    // .NET Interactive loads <package>/interactive-extensions/dotnet/*.dll after #r "nuget:"; the public API has no loader.
    static async Task LoadExtensionsAsync(Kernel kernel, IReadOnlyList<ResolvedPackageReference> refs)
    {
        foreach (var r in refs)
        {
            var dir = Path.Combine(r.PackageRoot, "interactive-extensions", "dotnet");
            if (!Directory.Exists(dir)) continue;
            foreach (var dll in Directory.GetFiles(dir, "*.dll"))
            {
                var asm = System.Reflection.Assembly.LoadFrom(dll);
                foreach (var t in asm.GetExportedTypes().Where(t => typeof(IKernelExtension).IsAssignableFrom(t) && !t.IsAbstract))
                    await ((IKernelExtension)Activator.CreateInstance(t)!).OnLoadAsync(kernel.RootKernel);
            }
        }
    }
}
