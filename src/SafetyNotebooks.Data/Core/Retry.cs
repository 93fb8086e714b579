using System.Runtime.ExceptionServices;

namespace SafetyNotebooks;

/// <summary>Exponential backoff: no wait before attempt 1, <see cref="Base"/> before attempt 2, doubling up to <see cref="Cap"/>.</summary>
public sealed record Backoff(TimeSpan Base, TimeSpan Cap)
{
    /// <summary>The wait before attempt <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan Before(int attempt) =>
        attempt <= 1 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(Cap.Ticks, Base.Ticks * (1L << Math.Min(attempt - 2, 20))));
}

/// <summary>What <see cref="Retry.TryAsync{T}"/> got: the value, or the last failure, and how many attempts were made.</summary>
public sealed record Attempted<T>(T? Value, Exception? Failure, int Attempts)
{
    public bool Succeeded => Failure is null;
}

/// <summary>
/// Retry with backoff, the one loop for every remote call (the LLM judge, the synthesis pipeline): an attempt that
/// throws a retryable exception is repeated after <see cref="Backoff.Before"/>, up to a number of attempts; anything
/// else (bad input, cancellation of the caller) ends it at once.
/// </summary>
public static class Retry
{
    public static async Task<Attempted<T>> TryAsync<T>(Func<CancellationToken, Task<T>> attempt, int maxAttempts, Backoff backoff,
        Func<Exception, bool> retryable, CancellationToken ct = default)
    {
        Exception? last = null;
        for (var n = 1; n <= maxAttempts; n++)
        {
            await Task.Delay(backoff.Before(n), ct);
            try { return new Attempted<T>(await attempt(ct), null, n); }
            catch (Exception e) when (!ct.IsCancellationRequested && retryable(e)) { last = e; }
        }
        return new Attempted<T>(default, last ?? new InvalidOperationException("no attempt was made"), Math.Max(0, maxAttempts));
    }

    /// <summary>As <see cref="TryAsync{T}"/>, rethrowing the last failure.</summary>
    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> attempt, int maxAttempts, Backoff backoff,
        Func<Exception, bool> retryable, CancellationToken ct = default)
    {
        var r = await TryAsync(attempt, maxAttempts, backoff, retryable, ct);
        if (r.Failure is { } f) ExceptionDispatchInfo.Capture(f).Throw();
        return r.Value!;
    }
}
