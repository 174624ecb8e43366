package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.event.BackupEvent;
import com.mintreplica.backup.core.event.BackupListener;
import java.io.PrintStream;

/** A one-line progress display on a terminal: bytes read, new bytes, rate, entries. */
final class ProgressLine implements BackupListener {
    private final PrintStream err;
    private final long start = System.nanoTime();
    private int lastLength;

    ProgressLine(PrintStream err) {
        this.err = err;
    }

    @Override
    public void onEvent(BackupEvent event) {
        if (event instanceof BackupEvent.Progress p) {
            long elapsed = System.nanoTime() - start;
            String line = String.format("[%s] %s read, %s new, %s, %d entries",
                    Format.duration(java.time.Duration.ofNanos(elapsed)), Format.bytes(p.bytesRead()),
                    Format.bytes(p.bytesNew()), Format.rate(p.bytesRead(), elapsed), p.entries());
            print(line);
        } else if (event instanceof BackupEvent.Finished || event instanceof BackupEvent.Failed) {
            clear();
        }
    }

    private synchronized void print(String line) {
        StringBuilder sb = new StringBuilder("\r").append(line);
        for (int i = line.length(); i < lastLength; i++) {
            sb.append(' ');
        }
        lastLength = line.length();
        err.print(sb);
        err.flush();
    }

    synchronized void clear() {
        if (lastLength > 0) {
            err.print("\r" + " ".repeat(lastLength) + "\r");
            err.flush();
            lastLength = 0;
        }
    }
}
