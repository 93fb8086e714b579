using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks;

/// <summary>What the user asked for: a specific device, or "CUDA when available".</summary>
public enum DeviceRequest { Auto, Cpu, Cuda }

/// <summary>The device chosen for a run and why.</summary>
public sealed record DeviceInfo(string Device, bool CudaAvailable, string Reason, string? LibTorchDir, int Threads, string TorchSharpVersion);

/// <summary>
/// Device selection for every TorchSharp computation in the toolkit.
/// <c>SAFETYNB_DEVICE=cpu|cuda|auto</c> (default auto: CUDA when available). For CUDA the toolkit uses a TorchSharp CUDA
/// package when the user referenced one, or, when <c>SAFETYNB_LIBTORCH_DIR</c> points at a PyTorch install's
/// <c>torch/lib</c>, loads that CUDA libtorch before TorchSharp's first native call.
/// </summary>
public static class Torch
{
    public const string DeviceVariable = "SAFETYNB_DEVICE";
    public const string LibTorchDirVariable = "SAFETYNB_LIBTORCH_DIR";

    /// <summary>The PyTorch libraries to load, in dependency order.</summary>
    public static IReadOnlyList<string> CudaLibraries { get; } = ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];

    /// <summary>Parses a device request ("cpu", "cuda", "cuda:0", "auto", empty); anything else is bad input.</summary>
    public static DeviceRequest ParseRequest(string? value, string origin = DeviceVariable) =>
        (value ?? "").Trim().ToLowerInvariant() switch
        {
            "" or "auto" => DeviceRequest.Auto,
            "cpu" => DeviceRequest.Cpu,
            "cuda" or "gpu" => DeviceRequest.Cuda,
            var s when s.StartsWith("cuda:") && int.TryParse(s[5..], out _) => DeviceRequest.Cuda,
            _ => throw new BadInputException("expected cpu, cuda or auto", origin, "device", value),
        };

    // Loading native libraries is process-wide by nature; it happens at most once.
    static readonly Lazy<(bool Cuda, string Reason)> Native = new(InitializeNative, LazyThreadSafetyMode.ExecutionAndPublication);

    static (bool, string) InitializeNative()
    {
        var dir = Environment.GetEnvironmentVariable(LibTorchDirVariable);
        if (!string.IsNullOrWhiteSpace(dir))
        {
            if (!Directory.Exists(dir))
                throw new BadInputException("folder does not exist (it should be a PyTorch install's torch/lib)", LibTorchDirVariable, "path", dir);
            foreach (var so in CudaLibraries)
            {
                var path = Path.Combine(dir, so);
                if (!File.Exists(path))
                    throw new BadInputException($"{so} is missing; is this a CUDA build of PyTorch?", LibTorchDirVariable, "path", dir);
                NativeLibrary.Load(path);
            }
            torch.InitializeDeviceType(DeviceType.CUDA);
            return (torch.cuda.is_available(), $"CUDA libtorch loaded from {LibTorchDirVariable}");
        }
        // Touching torch initialises TorchSharp's bundled (CPU) libtorch, or a CUDA package the user referenced.
        return (torch.cuda.is_available(), "bundled libtorch");
    }

    /// <summary>True when a CUDA device can be used (after loading SAFETYNB_LIBTORCH_DIR if set).</summary>
    public static bool CudaAvailable => Native.Value.Cuda;

    /// <summary>Resolves <paramref name="requested"/> (or <c>SAFETYNB_DEVICE</c> when null) to a concrete device.</summary>
    public static Device Device(string? requested = null)
    {
        var origin = requested is null ? DeviceVariable : "--device";
        var text = requested ?? Environment.GetEnvironmentVariable(DeviceVariable);
        var request = ParseRequest(text, origin);
        return request switch
        {
            DeviceRequest.Cpu => CPU,
            DeviceRequest.Cuda when CudaAvailable => new Device(text!.Contains(':') ? text.Trim().ToLowerInvariant() : "cuda"),
            DeviceRequest.Cuda => throw new InvalidOperationException(
                $"CUDA was requested ({origin}={text}) but is not available: {Native.Value.Reason}. " +
                $"Set {LibTorchDirVariable} to a CUDA PyTorch's torch/lib folder (see README, 'GPUs'), or use --device cpu."),
            _ => CudaAvailable ? CUDA : CPU,
        };
    }

    /// <summary>A description of the device a run would use, for logs and notebooks.</summary>
    public static DeviceInfo Describe(string? requested = null)
    {
        var device = Device(requested);
        return new DeviceInfo(device.ToString(), CudaAvailable, Native.Value.Reason,
            Environment.GetEnvironmentVariable(LibTorchDirVariable), torch.get_num_threads(),
            typeof(torch).Assembly.GetName().Version?.ToString() ?? "?");
    }

    /// <summary>Seeds TorchSharp's generators; every stage that draws random numbers calls this with its explicit seed.</summary>
    public static void Seed(long seed)
    {
        _ = Native.Value;
        torch.manual_seed(seed);
        if (CudaAvailable) torch.cuda.manual_seed_all(seed);
    }
}
