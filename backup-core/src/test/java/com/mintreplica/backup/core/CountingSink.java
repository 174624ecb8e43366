package com.mintreplica.backup.core;

import com.mintreplica.backup.core.sink.Sink;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;

/** A Sink that counts reads of tree packs (ranged reads and whole downloads) of snapshot objects and of index objects, around a real one. */
final class CountingSink extends ForwardingSink {
    final AtomicInteger treeReads = new AtomicInteger();
    final AtomicInteger snapshotReads = new AtomicInteger();
    final AtomicInteger treePackDownloads = new AtomicInteger();
    /** The index objects read whole, in order. */
    final java.util.List<String> indexReads = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    CountingSink(Sink delegate) {
        super(delegate);
    }

    @Override
    public InputStream get(String name) throws IOException {
        if (name.startsWith("snapshots/")) {
            snapshotReads.incrementAndGet();
        }
        if (name.startsWith("tree/")) {
            treePackDownloads.incrementAndGet();
        }
        if (name.startsWith("index/")) {
            indexReads.add(name);
        }
        return super.get(name);
    }

    @Override
    public InputStream get(String name, long offset, long length) throws IOException {
        if (name.startsWith("tree/")) {
            treeReads.incrementAndGet();
        }
        return super.get(name, offset, length);
    }
}
