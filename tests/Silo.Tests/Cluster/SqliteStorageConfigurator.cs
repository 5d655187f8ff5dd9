using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using SweepCluster.Connection;

namespace SweepCluster.Silo.Tests.Cluster;

/// <summary>Test silos with SweepCluster's grains over SQLite storage at <see cref="DatabasePath"/>.</summary>
internal sealed class SqliteStorageConfigurator : ISiloConfigurator
{
    // In-process test silos are built from this type by reflection, so the path is set before a cluster is built;
    // the test classes that use it are in one collection and never run at once.
    public static string? DatabasePath;

    /// <summary>The test collection of every class that sets <see cref="DatabasePath"/>.</summary>
    public const string Collection = "sqlite storage";

    public void Configure(ISiloBuilder silo)
    {
        var storage = StorageLocation.Parse($"sqlite:{DatabasePath ?? throw new InvalidOperationException("no db path")}");
        silo.AddAdoNetGrainStorage(SiloHost.StorageName, o =>
        {
            o.Invariant = storage.AdoNetInvariant;
            o.DataSource = new TunedSqliteDataSource(storage.ConnectionString);
        });
        // Orleans' binary format with the pinned aliases, as SiloHost stores state (the provider's default is JSON with .NET type names).
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(SiloHost.StorageName).Configure<Serializer>((o, serializer) =>
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
        silo.Services.AddSweepGrainServices();
    }
}
