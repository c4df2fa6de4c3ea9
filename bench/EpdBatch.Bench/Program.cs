using EpdBatch.Bench;

return BenchProgram.Run(args);
