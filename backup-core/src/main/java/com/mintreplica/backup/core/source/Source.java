package com.mintreplica.backup.core.source;

import java.io.IOException;

/**
 * Where a backup's data comes from: a directory tree, a database. A Source reads its data as a sequence of named
 * {@linkplain Entry entries}, each with metadata and, for regular entries, a content stream. Its restore side is a
 * {@link RestoreTarget}.
 *
 * <p>A Source is a description, cheap to create; {@link #open} starts one read of the data. Entries come in the order
 * a restore needs them: a directory before what it holds. Paths are unique within one read.
 *
 * <p>Checked by {@code SourceContract} in backup-testkit (a round trip through a repository).
 */
public interface Source {

    /** What this source is, for grouping snapshots and finding the parent of the next backup. */
    SourceId id();

    /** Starts reading; the caller closes the reader. */
    SourceReader open(BackupContext context) throws IOException;
}
