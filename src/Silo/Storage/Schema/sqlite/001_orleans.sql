-- SweepCluster schema 001 for SQLite (Microsoft.Data.Sqlite, Orleans invariant "System.Data.SQLite").
-- Provides the tables and OrleansQuery entries used by Microsoft.Orleans.Clustering.AdoNet
-- (membership) and Microsoft.Orleans.Persistence.AdoNet (grain storage).
--
-- Design rules (see NOTES.md):
--  * Idempotent: CREATE ... IF NOT EXISTS everywhere, OrleansQuery rows are upserted.
--  * Orleans runs each QueryText as ONE command on a fresh pooled connection and reads every
--    result set. SQLite has no procedures, so a QueryText is plain SQL, at most two statements.
--  * No BEGIN/COMMIT inside a QueryText: Microsoft.Data.Sqlite does not roll back a transaction
--    left open by a failed command before it returns the connection to its pool. Every
--    mutation is therefore a single (atomic) statement; the membership version bump that must
--    accompany an insert/update of a silo row is done by the triggers below, inside that statement.
--  * Timestamps are stored as TEXT in the format Microsoft.Data.Sqlite writes for DateTime
--    parameters ('yyyy-MM-dd HH:mm:ss.FFFFFFF', UTC), which compares correctly as text.
--  * Query texts contain no single quotes, so they need no escaping below.

CREATE TABLE IF NOT EXISTS sweep_schema_version
(
    version     INTEGER NOT NULL PRIMARY KEY,
    script      TEXT    NOT NULL,
    applied_utc TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

-- ---------------------------------------------------------------------------------------------
-- Membership (clustering)
-- ---------------------------------------------------------------------------------------------

-- One row per cluster (Orleans passes ClusterId as @DeploymentId). Version is the table etag.
CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId TEXT    NOT NULL PRIMARY KEY,
    Timestamp    TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    Version      INTEGER NOT NULL DEFAULT 0
);

-- One row per silo incarnation (address, port, generation).
CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId TEXT    NOT NULL,
    Address      TEXT    NOT NULL,
    Port         INTEGER NOT NULL,
    Generation   INTEGER NOT NULL,
    SiloName     TEXT    NOT NULL,
    HostName     TEXT    NOT NULL,
    Status       INTEGER NOT NULL,
    ProxyPort    INTEGER NOT NULL DEFAULT 0,
    SuspectTimes TEXT    NULL,
    StartTime    TEXT    NOT NULL,
    IAmAliveTime TEXT    NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

-- Every insert of a silo row, and every update that touches Status/SuspectTimes (i.e. the
-- UpdateMembershipKey statement, not UpdateIAmAlivetimeKey), advances the cluster's table version
-- in the same statement.
CREATE TRIGGER IF NOT EXISTS TR_OrleansMembershipTable_Insert_BumpVersion
AFTER INSERT ON OrleansMembershipTable
BEGIN
    UPDATE OrleansMembershipVersionTable
    SET Version = Version + 1, Timestamp = CURRENT_TIMESTAMP
    WHERE DeploymentId = NEW.DeploymentId;
END;

CREATE TRIGGER IF NOT EXISTS TR_OrleansMembershipTable_Update_BumpVersion
AFTER UPDATE OF Status, SuspectTimes ON OrleansMembershipTable
BEGIN
    UPDATE OrleansMembershipVersionTable
    SET Version = Version + 1, Timestamp = CURRENT_TIMESTAMP
    WHERE DeploymentId = NEW.DeploymentId;
END;

-- ---------------------------------------------------------------------------------------------
-- Grain storage (persistence)
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            INTEGER NOT NULL,
    GrainIdN0              INTEGER NOT NULL,
    GrainIdN1              INTEGER NOT NULL,
    GrainTypeHash          INTEGER NOT NULL,
    GrainTypeString        TEXT    NOT NULL,
    GrainIdExtensionString TEXT    NULL,
    ServiceId              TEXT    NOT NULL,
    PayloadBinary          BLOB    NULL,
    ModifiedOn             TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    Version                INTEGER NOT NULL
);

-- Exactly one row per grain. The hashes lead so lookups stay narrow; the extension is split into
-- (is null, value) because NULLs are distinct in a UNIQUE index and '' must not equal NULL.
CREATE UNIQUE INDEX IF NOT EXISTS UX_OrleansStorage_Grain ON OrleansStorage
(
    GrainIdHash, GrainTypeHash, ServiceId, GrainIdN0, GrainIdN1, GrainTypeString,
    (GrainIdExtensionString IS NULL), ifnull(GrainIdExtensionString, '')
);

-- ---------------------------------------------------------------------------------------------
-- OrleansQuery entries
-- ---------------------------------------------------------------------------------------------

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
-- Returns one row, one column: 1 when the cluster version row was created now, else 0.
('InsertMembershipVersionKey', '
INSERT INTO OrleansMembershipVersionTable (DeploymentId)
VALUES (@DeploymentId)
ON CONFLICT (DeploymentId) DO NOTHING;
SELECT changes() AS Created;
'),
-- Returns one row, one column: 1 when the silo row was inserted (the trigger then advanced the
-- table version); 0 when @Version is stale or the row exists.
('InsertMembershipKey', '
INSERT INTO OrleansMembershipTable
    (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
SELECT
    @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
WHERE EXISTS
(
    SELECT 1 FROM OrleansMembershipVersionTable
    WHERE DeploymentId = @DeploymentId AND Version = @Version
)
ON CONFLICT DO NOTHING;
SELECT changes() AS Inserted;
'),
-- Returns one row, one column: 1 when the silo row was updated (the trigger then advanced the
-- table version); 0 when @Version is stale or the row is missing.
('UpdateMembershipKey', '
UPDATE OrleansMembershipTable
SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation
  AND EXISTS
  (
      SELECT 1 FROM OrleansMembershipVersionTable
      WHERE DeploymentId = @DeploymentId AND Version = @Version
  );
SELECT changes() AS Updated;
'),
-- Heartbeat: no version change, no result.
('UpdateIAmAlivetimeKey', '
UPDATE OrleansMembershipTable
SET IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;
'),
-- At least one row whenever the cluster exists: the version row, left-joined to the silo row.
('MembershipReadRowKey', '
SELECT
    m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
    m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable AS v
LEFT JOIN OrleansMembershipTable AS m
    ON m.DeploymentId = v.DeploymentId
   AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId;
'),
('MembershipReadAllKey', '
SELECT
    m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
    m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable AS v
LEFT JOIN OrleansMembershipTable AS m
    ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId;
'),
-- Gateways of active silos (@Status = Active).
('GatewaysQueryKey', '
SELECT Address, ProxyPort, Generation
FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;
'),
('DeleteMembershipTableEntriesKey', '
DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
'),
-- Removes silo rows not heard from since @IAmAliveTime, except Active (3) ones.
('CleanupDefunctSiloEntriesKey', '
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND IAmAliveTime < @IAmAliveTime AND Status <> 3;
'),
-- Zero or one row: PayloadBinary (NULL after a clear) and Version (the etag).
('ReadFromStorageKey', '
SELECT PayloadBinary, Version
FROM OrleansStorage
WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS @GrainIdExtensionString;
'),
-- Zero or one row in total, NewGrainStateVersion: the new etag on success, none on a conflict.
-- Known etag: compare-and-swap update. No etag: insert version 1 unless the grain row exists.
('WriteToStorageKey', '
UPDATE OrleansStorage
SET PayloadBinary = @PayloadBinary, ModifiedOn = CURRENT_TIMESTAMP, Version = Version + 1
WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS @GrainIdExtensionString
  AND @GrainStateVersion IS NOT NULL AND Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
INSERT INTO OrleansStorage
    (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString,
     ServiceId, PayloadBinary, Version)
SELECT
    @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString,
    @ServiceId, @PayloadBinary, 1
WHERE @GrainStateVersion IS NULL
ON CONFLICT DO NOTHING
RETURNING Version AS NewGrainStateVersion;
'),
-- Keeps the row, drops the payload, advances the etag. No row on a conflict.
('ClearStorageKey', '
UPDATE OrleansStorage
SET PayloadBinary = NULL, ModifiedOn = CURRENT_TIMESTAMP, Version = Version + 1
WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS @GrainIdExtensionString
  AND Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
'),
-- Used when DeleteStateOnClear = true: removes the row, returns deleted version + 1.
('DeleteStorageKey', '
DELETE FROM OrleansStorage
WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS @GrainIdExtensionString
  AND Version = @GrainStateVersion
RETURNING Version + 1 AS NewGrainStateVersion;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO sweep_schema_version (version, script) VALUES (1, '001_orleans')
ON CONFLICT (version) DO NOTHING;
