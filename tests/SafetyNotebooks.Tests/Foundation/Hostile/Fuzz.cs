using FsCheck;
using FsCheck.Fluent;

namespace SafetyNotebooks.Tests.Foundation.Hostile;

/// <summary>
/// Property-based fuzzing of the parsers that read files from strangers: a valid file is damaged (bytes overwritten,
/// inserted, or the file cut short, near its start, its end or anywhere) and the parser must either accept it or refuse it
/// with the project's bad-input exception — never another exception, never a hang.
/// </summary>
public static class Fuzz
{
    /// <summary>Per-case time limit: a parser that takes longer is treated as hanging.</summary>
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(5);

    public sealed record Damage(IReadOnlyList<(int Position, byte Value, bool Insert)> Edits, int? CutAt)
    {
        public byte[] Apply(byte[] original)
        {
            var bytes = original.ToList();
            foreach (var (p, v, insert) in Edits)
            {
                var at = Math.Clamp(p, 0, Math.Max(0, bytes.Count - 1));
                if (insert || bytes.Count == 0) bytes.Insert(at, v); else bytes[at] = v;
            }
            return CutAt is { } cut ? bytes.Take(Math.Clamp(cut, 0, bytes.Count)).ToArray() : bytes.ToArray();
        }

        public override string ToString() =>
            $"edits [{string.Join(", ", Edits.Select(e => $"{(e.Insert ? "+" : "")}{e.Position}=0x{e.Value:X2}"))}]{(CutAt is { } c ? $", cut at {c}" : "")}";
    }

    /// <summary>Damage to a file of <paramref name="length"/> bytes, biased to the first and last 64 bytes (headers and footers live there).</summary>
    public static Arbitrary<Damage> Damages(int length)
    {
        var position = Gen.OneOf(Gen.Choose(0, Math.Min(63, length - 1)), Gen.Choose(Math.Max(0, length - 64), length - 1), Gen.Choose(0, length - 1));
        var value = Gen.OneOf(Gen.Choose(0, 255).Select(v => (byte)v), Gen.Elements<byte>(0, 0xFF, 0x7F, 0x80, (byte)'{', (byte)'"'));
        var edit = position.SelectMany(p => value.SelectMany(v => Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true))).Select(i => (p, v, i))));
        var cut = Gen.Frequency((3, Gen.Constant<int?>(null)), (1, position.Select(p => (int?)p)));
        return Gen.Choose(1, 8).SelectMany(n => edit.ArrayOf(n)).SelectMany(es => cut.Select(c => new Damage(es, c))).ToArbitrary();
    }

    /// <summary>Runs <paramref name="parse"/>; true when it accepted the input or refused it as <typeparamref name="TRefusal"/> within <see cref="CaseTimeout"/>.</summary>
    public static bool OnlyRefuses<TRefusal>(Func<Task> parse, out string problem) where TRefusal : Exception
    {
        var run = Task.Run(parse);
        if (Task.WaitAny(run, Task.Delay(CaseTimeout)) != 0) { problem = $"no answer within {CaseTimeout.TotalSeconds} s"; return false; }
        var e = run.Exception?.InnerException;
        problem = e is null or TRefusal ? "" : $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}";
        return problem.Length == 0;
    }

    /// <summary>The property: every damaged copy of <paramref name="original"/> (written to a fresh file) is only ever refused.</summary>
    public static Property OnlyRefusesDamaged(byte[] original, string extension, Func<string, Task> parse) =>
        Prop.ForAll(Damages(original.Length), damage =>
        {
            var path = Path.Combine(TestDirs.Fresh("fuzz"), "input" + extension);
            File.WriteAllBytes(path, damage.Apply(original));
            var ok = OnlyRefuses<BadInputException>(() => parse(path), out var problem);
            return ok.Label($"{damage}: {problem}");
        });
}
