package com.mintreplica.backup.postgres.wal;

import com.mintreplica.backup.postgres.internal.receive.WalDestination;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test destination: the real archive behind it, the pushes recorded, and a switch that makes the host disappear (no
 * push or removal reaches the archive any more), as when the machine running the database and the receiver is lost.
 */
final class LosableDestination implements WalDestination {
    private final WalDestination archive;
    final List<String> pushes;
    private final boolean[] lost;

    LosableDestination(WalArchive archive) {
        this(new WalReceiver.ArchiveDestination(archive), new CopyOnWriteArrayList<>(), new boolean[1]);
    }

    private LosableDestination(WalDestination archive, List<String> pushes, boolean[] lost) {
        this.archive = archive;
        this.pushes = pushes;
        this.lost = lost;
    }

    /** From now on nothing reaches the archive: only what was pushed before counts. */
    void loseHost() {
        synchronized (lost) {
            lost[0] = true;
        }
    }

    @Override
    public WalDestination forSystem(String systemId) {
        return new LosableDestination(archive.forSystem(systemId), pushes, lost);
    }

    @Override
    public void push(Path file) throws IOException {
        synchronized (lost) { // a push under way when the host is lost completes first: it was durable before
            if (lost[0]) {
                throw new IOException("the host is gone (test)");
            }
            archive.push(file);
            pushes.add(file.getFileName().toString());
        }
    }

    @Override
    public void remove(String fileName) throws IOException {
        synchronized (lost) {
            if (lost[0]) {
                throw new IOException("the host is gone (test)");
            }
            archive.remove(fileName);
        }
    }
}
