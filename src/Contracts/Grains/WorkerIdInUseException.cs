namespace SweepCluster.Contracts.Grains;

/// <summary>
/// <see cref="IWorkerDirectoryGrain.Heartbeat"/> refused a worker id because another live process holds
/// it (two `sweep worker --id X` at once). Two processes under one id would show as one worker in
/// `sweep workers` while both lease trials. The message names the holder; the refused worker exits.
/// </summary>
[GenerateSerializer, Alias("sweep.WorkerIdInUseException")]
public sealed class WorkerIdInUseException : Exception
{
    public WorkerIdInUseException(string message) : base(message) { }

    public WorkerIdInUseException(string message, Exception inner) : base(message, inner) { }
}
