/**
 * PostgreSQL backups: {@link com.mintreplica.backup.postgres.PostgresSource} streams pg_dump, taken in an exported
 * snapshot with exact per-table row counts, into a backup pipeline;
 * {@link com.mintreplica.backup.postgres.PostgresTarget} restores a snapshot with pg_restore into the original or
 * another database and checks the row counts; {@link com.mintreplica.backup.postgres.PostgresVerifier} checks a stored
 * dump with pg_restore without restoring it; {@link com.mintreplica.backup.postgres.PostgresSourceProvider} opens them
 * from {@code postgresql://} locations for the CLI. Connections follow libpq's rules
 * ({@link com.mintreplica.backup.postgres.PostgresConnection}). Implementation details are in {@code ...internal}.
 */
package com.mintreplica.backup.postgres;
