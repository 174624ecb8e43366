package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link RestoreTarget} that keeps every entry's content in memory, for tests with small data (use
 * {@link DigestTarget} for large data). Records the restore's context and whether it finished or was aborted.
 */
public final class MemoryTarget implements RestoreTarget {
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private RestoreContext context;
    private boolean finished;
    private Exception aborted;

    @Override
    public void begin(RestoreContext value) {
        this.context = value;
    }

    @Override
    public void write(Entry entry, InputStream content) throws IOException {
        files.put(entry.path(), content.readAllBytes());
    }

    @Override
    public void finish() {
        finished = true;
    }

    @Override
    public void abort(Exception cause) {
        aborted = cause;
    }

    /** The content of each restored entry, by path, in restore order. */
    public Map<String, byte[]> files() {
        return files;
    }

    /** The context the restore began with; empty when it never began. */
    public Optional<RestoreContext> context() {
        return Optional.ofNullable(context);
    }

    public boolean began() {
        return context != null;
    }

    public boolean finished() {
        return finished;
    }

    /** The cause the restore was aborted with, or null. */
    public Exception aborted() {
        return aborted;
    }
}
