using Condensa.Hosting;
using Condensa.Scenarios.Cli;
using Samples;

// Every condensa command (run, validate, methods, ...), with every-other beside the built-in builders:
//   dotnet run -c Release -- run compare.yaml
return await CondensaCli.RunAsync(args, services =>
    services.AddMemoryBuilder<EveryOtherOptions>("every-other", "selector", "Every other image of each class, after an offset",
        o => new EveryOtherSelector(o)));
