package com.mintreplica.backup.examples;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupPipeline;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.fs.DirectorySource;
import com.mintreplica.backup.fs.DirectoryTarget;
import java.nio.file.Path;

/**
 * How the Mint Replica app wires its file backups: the config and log directories into one repository, tagged,
 * verified, restorable. The app passes the Sink (a local directory in production's first stage; S3 or GCS once those
 * modules are added) and owns it.
 */
public final class MintReplicaBackups {
    private final Repository repository;
    private final Path configDir;
    private final Path logDir;

    /** Opens (or creates, on first use) the repository on {@code sink}. */
    public MintReplicaBackups(Sink sink, Path configDir, Path logDir) {
        this.repository = Repository.exists(sink) ? Repository.open(sink) : Repository.init(sink);
        this.configDir = configDir;
        this.logDir = logDir;
    }

    /** The nightly job: config and logs, without rotated archives. */
    public BackupResult backupFiles() {
        BackupPipeline pipeline = Backup.pipeline()
                .source(DirectorySource.builder().root(configDir).root(logDir).exclude("*.gz").build())
                .to(repository)
                .job("files")
                .tags("daily")
                .build();
        return pipeline.run();
    }

    /** Reads back every byte of the latest snapshot and checks it against its hashes. */
    public VerifyReport verifyLatest() {
        return repository.verify(SnapshotSelector.latest().job("files"), true);
    }

    /** Restores the latest file snapshot under {@code directory} (entries keep their absolute paths below it). */
    public RestoreResult restoreLatestTo(Path directory) {
        return repository.restore(SnapshotSelector.latest().job("files")).to(DirectoryTarget.to(directory)).run();
    }

    public Repository repository() {
        return repository;
    }
}
