using System.Runtime.InteropServices;

namespace SweepCluster.Cli.Cluster;

/// <summary>A token cancelled by Ctrl-C or SIGTERM, so long-running verbs stop gracefully (workers release their trial).</summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration _term;
    private readonly PosixSignalRegistration _int;

    public ShutdownSignal(CancellationToken outer)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
    }

    public CancellationToken Token => _cts.Token;

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // we shut down ourselves, in order
        _cts.Cancel();
    }

    public void Dispose()
    {
        _term.Dispose();
        _int.Dispose();
        _cts.Dispose();
    }
}
