package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.source.BackupContext;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link BackupContext} for tests that open a source's reader themselves: the system clock, and every warning the
 * reader gives kept as {@code "path: message"}, in order.
 */
public final class RecordingContext implements BackupContext {
    private final List<String> warnings = new CopyOnWriteArrayList<>();

    @Override
    public Clock clock() {
        return Clock.systemUTC();
    }

    @Override
    public void warn(String path, String message) {
        warnings.add(path + ": " + message);
    }

    /** The warnings so far. */
    public List<String> warnings() {
        return warnings;
    }
}
