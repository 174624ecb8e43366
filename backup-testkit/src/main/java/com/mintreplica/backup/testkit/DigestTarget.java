package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link RestoreTarget} that keeps only the SHA-256 of each entry it is given, so a test can restore hundreds of MiB
 * with little memory and compare with {@link SampleSource#digests()}. Records whether the restore finished or was
 * aborted.
 */
public final class DigestTarget implements RestoreTarget {
    private final Map<String, String> digests = new LinkedHashMap<>();
    private boolean finished;
    private Exception aborted;

    @Override
    public void begin(RestoreContext context) {
    }

    @Override
    public void write(Entry entry, InputStream content) throws IOException {
        try (DigestingStream d = new DigestingStream()) {
            content.transferTo(d);
            digests.put(entry.path(), d.hex());
        }
    }

    @Override
    public void finish() {
        finished = true;
    }

    @Override
    public void abort(Exception cause) {
        aborted = cause;
    }

    /** The SHA-256 (hex) of each restored entry, by path, in restore order. */
    public Map<String, String> digests() {
        return Map.copyOf(digests);
    }

    public boolean finished() {
        return finished;
    }

    /** The cause the restore was aborted with, or null. */
    public Exception aborted() {
        return aborted;
    }

    /** An output stream that only hashes. */
    static final class DigestingStream extends OutputStream {
        private final MessageDigest digest = SampleSource.sha256();
        private String hex;

        @Override
        public void write(int b) {
            digest.update((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            digest.update(b, off, len);
        }

        String hex() {
            if (hex == null) {
                hex = SampleSource.hex(digest.digest());
            }
            return hex;
        }
    }
}
