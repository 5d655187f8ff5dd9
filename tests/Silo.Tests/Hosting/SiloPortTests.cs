using System.Net;
using System.Net.Sockets;
using SweepCluster.Connection;
using SweepCluster.Tests.Shared;

namespace SweepCluster.Silo.Tests.Hosting;

/// <summary>A second silo (a second `sweep up`) on ports already taken is refused with the port and its option, before it starts.</summary>
public sealed class SiloPortTests
{
    [Theory]
    [InlineData("--silo-port")]
    [InlineData("--gateway-port")]
    [InlineData("--metrics-port")]
    public async Task A_taken_port_is_refused_naming_the_port_and_the_option_that_moves_it(string option)
    {
        var taken = PostgresServer.FreePort();
        using var other = new TcpListener(IPAddress.Loopback, taken);
        other.Start();
        var options = new SiloHostOptions
        {
            Storage = StorageLocation.Parse("memory"),
            SiloPort = option == "--silo-port" ? taken : PostgresServer.FreePort(),
            GatewayPort = option == "--gateway-port" ? taken : PostgresServer.FreePort(),
            MetricsPort = option == "--metrics-port" ? taken : PostgresServer.FreePort(),
        };

        var e = await Assert.ThrowsAsync<PortInUseException>(() => SiloHost.BuildAsync(options, TestContext.Current.CancellationToken));

        Assert.Equal(taken, e.Port);
        Assert.Contains($"port {taken} is in use", e.Message);
        Assert.Contains($"pass {option}", e.Message);
    }

    [Fact]
    public async Task The_ports_of_a_running_silo_are_refused_to_a_second_one()
    {
        // Orleans listens with SO_REUSEPORT; a probe that set it too would see the ports as free and two silos
        // would share them (a second `sweep up` once did, taking half of the first one's calls).
        var ct = TestContext.Current.CancellationToken;
        var first = new SiloHostOptions
        {
            Storage = StorageLocation.Parse("memory"),
            SiloPort = PostgresServer.FreePort(),
            GatewayPort = PostgresServer.FreePort(),
            MetricsPort = 0,
        };
        await using var running = await SiloHost.BuildAsync(first, ct);
        await running.StartAsync(ct);
        try
        {
            var e = await Assert.ThrowsAsync<PortInUseException>(() => SiloHost.BuildAsync(first with { MetricsPort = PostgresServer.FreePort() }, ct));
            Assert.Equal(first.SiloPort, e.Port);
        }
        finally
        {
            await running.StopAsync(ct);
        }
    }

    [Fact]
    public async Task Two_options_on_one_port_are_refused()
    {
        var port = PostgresServer.FreePort();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => SiloHost.BuildAsync(new SiloHostOptions
        {
            Storage = StorageLocation.Parse("memory"), SiloPort = PostgresServer.FreePort(), GatewayPort = port, MetricsPort = port,
        }, TestContext.Current.CancellationToken));
        Assert.Contains($"--gateway-port and --metrics-port are both {port}", e.Message);
    }

    [Fact]
    public async Task Free_ports_build_a_silo()
    {
        await using var app = await SiloHost.BuildAsync(new SiloHostOptions
        {
            Storage = StorageLocation.Parse("memory"),
            SiloPort = PostgresServer.FreePort(),
            GatewayPort = PostgresServer.FreePort(),
            MetricsPort = PostgresServer.FreePort(),
        }, TestContext.Current.CancellationToken);
        Assert.NotNull(app);
    }
}
