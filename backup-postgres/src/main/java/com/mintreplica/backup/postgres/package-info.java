/**
 * PostgreSQL backups: a Source that streams pg_dump into a pipeline and a restore target on pg_restore.
 *
 * <p>Not implemented yet: this module holds no classes until its issue (PostgreSQL backups) lands.
 */
package com.mintreplica.backup.postgres;
