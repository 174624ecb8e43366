package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.testkit.SampleSource;
import java.nio.file.Path;

/**
 * Backs up 288 MiB of pseudo-random bytes into a repository of 64 MiB packs, then verifies every blob it stored. Run
 * in a JVM with a small heap by {@link SmallHeapIT}. Prints "verified ok" when the backup finished and read back whole.
 */
public final class SmallHeapMain {
    private SmallHeapMain() {
    }

    public static void main(String[] args) throws Exception {
        Path repoDir = Path.of(args[0]);
        SampleSource source = SampleSource.builder().generated("large/a.bin", 96L << 20, 1)
                .generated("large/b.bin", 96L << 20, 2).generated("large/c.bin", 96L << 20, 3).build();
        RepositorySettings settings = RepositorySettings.defaults().withPackSize(64 << 20);
        try (Repository repo = Repository.init(new LocalDirectorySink(repoDir), settings)) {
            BackupResult result = Backup.pipeline().source(source).to(repo).build().run();
            System.out.println("backed up " + result.snapshotId() + "; max heap " + Runtime.getRuntime().maxMemory());
            VerifyReport report = repo.verify(true);
            System.out.println(report.ok() ? "verified ok" : "verify failed: " + report);
        }
    }
}
