/**
 * Continuous archiving of PostgreSQL WAL into a repository, for point-in-time recovery:
 * {@link com.mintreplica.backup.postgres.wal.WalArchive} pushes (archive_command), fetches (restore_command), lists,
 * verifies the chain of each timeline and expires what no retained base backup needs. One object per WAL file under
 * {@code wal/<cluster>/<system id>/}; see docs/postgresql-pitr.md and the "WAL archive" section of
 * docs/architecture.md.
 */
package com.mintreplica.backup.postgres.wal;
