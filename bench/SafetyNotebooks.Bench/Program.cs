using SafetyNotebooks.Bench;

// usage: dotnet run -c Release --project bench/SafetyNotebooks.Bench -- <benchmark> [args]
// Each benchmark prints its measurements and ratios against a baseline run in the same process.
var benchmarks = Harness.All();
if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine("benchmarks: " + string.Join(", ", benchmarks.Keys.Order()));
    return args.Length == 0 ? 0 : 2;
}
return run(args[1..]);
