package com.mintreplica.backup.fs;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Backs up or restores in a JVM of its own, so that a test can run the library with another locale (LANG unset) or
 * without native access: {@code backup TREE REPO} or {@code restore REPO TARGET}. Prints the snapshot's warnings.
 */
public final class ForkedFs {
    public static void main(String[] args) throws Exception {
        System.out.println("sun.jnu.encoding=" + System.getProperty("sun.jnu.encoding"));
        Path repoDir = Path.of(args[args[0].equals("backup") ? 2 : 1]);
        try (Repository repo = Files.exists(repoDir.resolve("config")) ? Repository.open(new LocalDirectorySink(repoDir))
                : Repository.init(new LocalDirectorySink(repoDir))) {
            if (args[0].equals("backup")) {
                var result = Backup.pipeline().source(DirectorySource.of(Path.of(args[1]))).to(repo).build().run();
                result.snapshot().warnings().forEach(w -> System.out.println("warning: " + w.message()));
            } else {
                repo.restore(SnapshotSelector.latest()).to(DirectoryTarget.to(Path.of(args[2]))).run();
            }
        }
    }
}
