using SweepCluster.Cli;

return SweepCli.Run(args, CliIO.FromConsole());
