using System.Data.Common;

namespace SweepCluster.Silo.Tests;

/// <summary>What both dialects' schema tests check and read.</summary>
internal static class SchemaAssertions
{
    /// <summary>Clustering refuses to start unless its nine queries exist; grain storage needs the other four.</summary>
    public static readonly string[] RequiredQueryKeys =
    [
        "UpdateIAmAlivetimeKey", "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey",
        "GatewaysQueryKey", "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey",
        "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey", "DeleteStorageKey",
    ];

    /// <summary>The first column of every row a query returns, as text.</summary>
    public static async Task<List<string>> Column(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var values = new List<string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken)) values.Add(reader.GetValue(0).ToString()!);
        return values;
    }
}
