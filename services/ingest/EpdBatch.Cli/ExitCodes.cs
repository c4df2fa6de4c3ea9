namespace EpdBatch.Cli;

/// <summary>The epd command's exit codes (documented in the README).</summary>
public static class ExitCodes
{
    /// <summary>Everything succeeded.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected error (a bug): the message and, with --verbose, the stack trace say more.</summary>
    public const int Unexpected = 1;

    /// <summary>Bad arguments or input files: nothing was run.</summary>
    public const int InvalidInput = 2;

    /// <summary>The job ran to the end, but some items failed (see errors.jsonl).</summary>
    public const int SomeItemsFailed = 3;

    /// <summary>RabbitMQ, Redis or blob storage could not be reached.</summary>
    public const int InfrastructureUnreachable = 4;

    /// <summary>Interrupted (Ctrl+C) or cancelled.</summary>
    public const int Cancelled = 130;
}
