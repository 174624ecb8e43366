/**
 * The Source SPI: where backups come from ({@link com.mintreplica.backup.core.source.Source}, read as
 * {@link com.mintreplica.backup.core.source.Entry entries}) and where restores go
 * ({@link com.mintreplica.backup.core.source.RestoreTarget}); {@link com.mintreplica.backup.core.source.SourceProvider}
 * lets the CLI and config reach them by URI. Conformance kit: {@code SourceContract} in backup-testkit.
 */
package com.mintreplica.backup.core.source;
