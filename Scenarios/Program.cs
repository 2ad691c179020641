return await Condensa.Scenarios.Cli.CondensaCli.RunAsync(args);
