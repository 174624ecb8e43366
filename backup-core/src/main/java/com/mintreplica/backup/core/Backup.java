package com.mintreplica.backup.core;

/**
 * The front door: {@code Backup.pipeline()} assembles a backup.
 *
 * <pre>{@code
 * BackupResult result = Backup.pipeline()
 *     .source(new DirectorySource(Path.of("/etc/mint")))
 *     .to(repository)
 *     .tags("daily")
 *     .build()
 *     .run();
 * }</pre>
 */
public final class Backup {
    private Backup() {
    }

    /** A new pipeline builder. */
    public static BackupPipeline.Builder pipeline() {
        return new BackupPipeline.Builder();
    }
}
