using SafetyNotebooks.Cli;

return await SafetyNb.RunAsync(args);
