package com.mintreplica.backup.fs.internal;

import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Passes a restore on to another target and keeps the SHA-256 and length of each regular entry's content as the
 * repository handed it over, every block of it checked against its id: what the snapshot holds. A drill then hashes the
 * restored files to show they hold exactly that.
 */
final class HashingTarget implements RestoreTarget {
    /** What the snapshot held for one entry. */
    record Content(String sha256, long length) {
    }

    private final RestoreTarget delegate;
    private final Map<String, Content> contents = new LinkedHashMap<>();

    HashingTarget(RestoreTarget delegate) {
        this.delegate = delegate;
    }

    /** Each regular entry restored, by path, in restore order. */
    Map<String, Content> contents() {
        return contents;
    }

    @Override
    public void begin(RestoreContext context) throws IOException {
        delegate.begin(context);
    }

    @Override
    public void write(Entry entry, InputStream content) throws IOException {
        if (entry.type() != EntryType.REGULAR) {
            delegate.write(entry, content);
            return;
        }
        MessageDigest sha = sha256();
        long[] length = {0};
        InputStream counted = new FilterInputStream(new DigestInputStream(content, sha)) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    length[0]++;
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    length[0] += n;
                }
                return n;
            }

            @Override
            public void close() {
                // the repository's stream is not the target's to close
            }
        };
        delegate.write(entry, counted);
        counted.transferTo(java.io.OutputStream.nullOutputStream()); // whatever the target left unread still counts
        contents.put(entry.path(), new Content(HexFormat.of().formatHex(sha.digest()), length[0]));
    }

    @Override
    public void finish() throws IOException {
        delegate.finish();
    }

    @Override
    public void abort(Exception cause) {
        delegate.abort(cause);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
