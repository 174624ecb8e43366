/**
 * PostgreSQL for tests: {@link com.mintreplica.backup.testkit.postgres.PostgresCluster} starts a throwaway cluster
 * from the machine's binaries, for the tests of backup-postgres, the CLI and restore drills.
 */
package com.mintreplica.backup.testkit.postgres;
