/**
 * Physical base backups of a running PostgreSQL cluster and restores to a point in time (issue 16): the kind
 * {@code postgresql-physical}. {@link com.mintreplica.backup.postgres.physical.PhysicalBackupSource} reads PGDATA and
 * every tablespace between {@code pg_backup_start} and {@code pg_backup_stop} into the repository;
 * {@link com.mintreplica.backup.postgres.physical.PointInTimeRestore} writes one back with the recovery settings that
 * replay the WAL archive to a target. docs/postgresql-pitr.md describes both.
 */
package com.mintreplica.backup.postgres.physical;
