using EtcdDr.Cli;

var root = EtcdDrCli.Build(Console.Out, Console.Error);
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
