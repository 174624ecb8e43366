package com.mintreplica.backup.core;

import com.mintreplica.backup.core.sink.Sink;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;

/** A Sink that counts the reads of the objects whose names start with a prefix ({@code tree/}), whole and ranged. */
final class CountingReads extends ForwardingSink {
    final AtomicInteger whole = new AtomicInteger();
    final AtomicInteger ranged = new AtomicInteger();
    private final String prefix;

    CountingReads(Sink delegate, String prefix) {
        super(delegate);
        this.prefix = prefix;
    }

    /** Every read counted, whole and ranged. */
    int all() {
        return whole.get() + ranged.get();
    }

    @Override
    public InputStream get(String name) throws IOException {
        if (name.startsWith(prefix)) {
            whole.incrementAndGet();
        }
        return super.get(name);
    }

    @Override
    public InputStream get(String name, long offset, long length) throws IOException {
        if (name.startsWith(prefix)) {
            ranged.incrementAndGet();
        }
        return super.get(name, offset, length);
    }
}
