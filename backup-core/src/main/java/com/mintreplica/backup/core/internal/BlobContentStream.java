package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.BackupException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * The content of a chunked entry: its blobs in order, each read and checked against its id before any of its bytes
 * are handed out. Up to {@code prefetch} blobs are fetched ahead on the executor.
 */
public final class BlobContentStream extends InputStream {
    private final Store store;
    private final List<BlobId> blobs;
    private final Executor executor;
    private final int prefetch;
    private final Deque<CompletableFuture<byte[]>> ahead = new ArrayDeque<>();
    private int nextToFetch;
    private byte[] current = new byte[0];
    private int position;

    public BlobContentStream(Store store, List<BlobId> blobs, Executor executor, int prefetch) {
        this.store = store;
        this.blobs = blobs;
        this.executor = executor;
        this.prefetch = Math.max(1, prefetch);
    }

    @Override
    public int read() throws IOException {
        if (!ensure()) {
            return -1;
        }
        return current[position++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!ensure()) {
            return -1;
        }
        int n = Math.min(len, current.length - position);
        System.arraycopy(current, position, b, off, n);
        position += n;
        return n;
    }

    /** Writes each checked blob in one call instead of through a small copy buffer. */
    @Override
    public long transferTo(java.io.OutputStream out) throws IOException {
        long total = 0;
        while (ensure()) {
            int n = current.length - position;
            out.write(current, position, n);
            position += n;
            total += n;
        }
        return total;
    }

    @Override
    public int available() {
        return current.length - position;
    }

    private boolean ensure() {
        while (position >= current.length) {
            while (ahead.size() < prefetch && nextToFetch < blobs.size()) {
                BlobId id = blobs.get(nextToFetch++);
                ahead.add(CompletableFuture.supplyAsync(() -> store.readBlob(id), executor));
            }
            if (ahead.isEmpty()) {
                return false;
            }
            try {
                current = ahead.removeFirst().join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new BackupException(e.getCause().toString(), e.getCause());
            }
            position = 0;
        }
        return true;
    }

    @Override
    public void close() {
        ahead.forEach(f -> f.cancel(false));
        ahead.clear();
        current = new byte[0];
        position = 0;
        nextToFetch = blobs.size();
    }
}
