using EpdBatch.VideoBench;

return await VideoBenchProgram.RunAsync(args);
