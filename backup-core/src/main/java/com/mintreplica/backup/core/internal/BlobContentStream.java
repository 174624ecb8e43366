package com.mintreplica.backup.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The content of a chunked entry: its blobs in order, each read and checked against its id (by the
 * {@link BlobPrefetcher}) before any of its bytes are handed out.
 */
public final class BlobContentStream extends InputStream {
    private final BlobPrefetcher blobs;
    private final int count;
    private final boolean ownsPrefetcher;
    private int served;
    private byte[] current = new byte[0];
    private int position;

    /** The next {@code count} blobs of a prefetcher that runs over several entries. */
    public BlobContentStream(BlobPrefetcher blobs, int count) {
        this(blobs, count, false);
    }

    /** An entry's blobs on their own, fetched up to {@code prefetch} ahead. */
    public BlobContentStream(Store store, List<BlobId> ids, Executor executor, int prefetch) {
        this(new BlobPrefetcher(store, ids.iterator(), executor, prefetch), ids.size(), true);
    }

    private BlobContentStream(BlobPrefetcher blobs, int count, boolean ownsPrefetcher) {
        this.blobs = blobs;
        this.count = count;
        this.ownsPrefetcher = ownsPrefetcher;
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
            if (served >= count) {
                return false;
            }
            current = blobs.next();
            served++;
            position = 0;
        }
        return true;
    }

    /**
     * Closes the stream. Blobs of this entry that were not read are still taken from a shared prefetcher (and
     * checked), so the next entry starts at its own first blob.
     */
    @Override
    public void close() {
        if (ownsPrefetcher) {
            blobs.close();
        } else {
            while (served < count) {
                blobs.next();
                served++;
            }
        }
        current = new byte[0];
        position = 0;
    }
}
