package com.mintreplica.backup.core;

import com.mintreplica.backup.core.internal.RepositoryLock;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Path;
import java.time.Duration;

/** Takes a repository's exclusive lease and waits to be stopped: what LockReleaseTest sends SIGTERM and SIGINT to. */
public final class LockHolderMain {
    private LockHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        Repository repo = Repository.open(new LocalDirectorySink(Path.of(args[0])));
        RepositoryLock.acquire(repo.store(), RepositoryLock.Kind.EXCLUSIVE, "prune", Duration.ZERO,
                RepositoryLock.Settings.DEFAULT);
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(60_000);
    }
}
