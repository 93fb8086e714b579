using System.CommandLine;

namespace SafetyNotebooks.Cli.Commands;

public static class InfoCommands
{
    public static readonly Option<string?> DeviceOption = new("--device") { Description = "cpu, cuda or auto [default: SAFETYNB_DEVICE, else CUDA when available]" };

    /// <summary><c>safetynb device [--device D] [--json]</c>: which TorchSharp device a run would use.</summary>
    public static Command Device()
    {
        var command = new Command("device", "Show the toolkit version and the TorchSharp device a run would use") { DeviceOption, Cli.JsonOption };
        command.SetHandler((parse, output) =>
        {
            var info = Torch.Describe(parse.GetValue(DeviceOption));
            if (parse.GetValue(Cli.JsonOption)) Cli.WriteJson(output, new { version = Toolkit.Version, info.Device, info.CudaAvailable, info.Reason, info.Threads, info.TorchSharpVersion });
            else output.WriteLine($"SafetyNotebooks {Toolkit.Version}; TorchSharp {info.TorchSharpVersion}; device {info.Device} ({info.Reason}; {info.Threads} CPU threads; CUDA available: {info.CudaAvailable})");
            return ExitCodes.Ok;
        });
        return command;
    }
}
