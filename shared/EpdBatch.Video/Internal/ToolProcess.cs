using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace EpdBatch.Video.Internal;

/// <summary>
/// One ffmpeg or ffprobe process: arguments as a list (never a shell), stdin closed, stdout for the caller, stderr
/// collected (its tail only: a corrupt stream can print an error per frame). Disposing kills the whole process tree
/// and reaps it, so no exception path, timeout or cancellation leaves a decoder running.
/// </summary>
internal sealed class ToolProcess : IDisposable
{
    private const int StderrTailChars = 4000;

    private readonly Process _process;
    private readonly Task<string> _stderr;

    private ToolProcess(Process process)
    {
        _process = process;
        _stderr = ReadTailAsync(process.StandardError);
    }

    public int Id => _process.Id;

    public Stream Output => _process.StandardOutput.BaseStream;

    public StreamReader OutputReader => _process.StandardOutput;

    public static ToolProcess Start(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardErrorEncoding = Encoding.UTF8,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"Cannot start '{program}': {ex.Message}. Is ffmpeg installed (Epd:Video:FfmpegPath / FfprobePath)?", ex);
        }

        // Neither tool gets input from us: a closed stdin keeps them from ever waiting on (or stealing) ours.
        process.StandardInput.Close();
        return new ToolProcess(process);
    }

    /// <summary>Kills the process tree when <paramref name="ct"/> fires: a blocked read on its output then ends.</summary>
    public CancellationTokenRegistration KillOn(CancellationToken ct) =>
        ct.Register(static state => ((ToolProcess)state!).Kill(), this);

    /// <summary>Waits for the exit and returns the exit code with the tail of stderr.</summary>
    public async Task<(int ExitCode, string Errors)> WaitAsync(CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct);
        return (_process.ExitCode, (await _stderr).Trim());
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        catch (Win32Exception)
        {
            // Likewise (the OS refuses to signal a process that is gone).
        }
    }

    public void Dispose()
    {
        Kill();

        // Reap it, so that when Dispose returns the process is gone from /proc, not a zombie or still dying.
        try
        {
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }

    private static async Task<string> ReadTailAsync(StreamReader reader)
    {
        var tail = new StringBuilder();
        var buffer = new char[4096];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer)) > 0)
            {
                tail.Append(buffer, 0, read);
                if (tail.Length > 2 * StderrTailChars)
                {
                    tail.Remove(0, tail.Length - StderrTailChars);
                }
            }
        }
        catch (IOException)
        {
            // The pipe breaks when the process is killed; what was read is still useful.
        }
        catch (ObjectDisposedException)
        {
            // Disposed while reading: the caller no longer wants the errors.
        }

        return tail.Length > StderrTailChars ? tail.ToString(tail.Length - StderrTailChars, StderrTailChars) : tail.ToString();
    }
}
