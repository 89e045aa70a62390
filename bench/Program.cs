using BnVerify.Bench.Cli;

// bnverify: the benchmarks (no command), list, check and cases. Everything is in Cli/; this only connects the process.
return Cli.Run(args, Console.Out, Console.Error);
