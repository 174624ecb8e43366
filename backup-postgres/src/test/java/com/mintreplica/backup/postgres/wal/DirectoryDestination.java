package com.mintreplica.backup.postgres.wal;

import com.mintreplica.backup.postgres.internal.receive.WalDestination;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test destination: copies each pushed file into a directory (atomically, by rename) and records the pushes. */
final class DirectoryDestination implements WalDestination {
    final Path dir;
    final List<String> pushes = new CopyOnWriteArrayList<>();
    private volatile boolean lost;

    DirectoryDestination(Path dir) {
        this.dir = dir;
    }

    /**
     * From now on nothing reaches the archive: the host running the database and the receiver is lost at once, so
     * what the archive holds is what was pushed before.
     */
    void loseHost() {
        lost = true;
    }

    @Override
    public void push(Path file) throws IOException {
        if (lost) {
            throw new IOException("the host is gone (test)");
        }
        String name = file.getFileName().toString();
        Path tmp = dir.resolve(name + ".tmp");
        Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        pushes.add(name);
    }

    @Override
    public void remove(String fileName) throws IOException {
        if (lost) {
            throw new IOException("the host is gone (test)");
        }
        Files.deleteIfExists(dir.resolve(fileName));
    }
}
