package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Backs up one generated entry of the given size (streamed from a generator, never on disk) and restores it into a
 * target that only hashes it. Run in a JVM with a small heap by {@link LargeEntryIT}. Prints "ok <sha256>" when the
 * restored content hashes to what was generated.
 */
public final class LargeEntryMain {
    private LargeEntryMain() {
    }

    /** Ledger-like CSV lines with increasing counters: every chunk is unique, and zstd compresses it well. */
    static final class LedgerStream extends InputStream {
        private final long size;
        private final MessageDigest digest;
        private long position;
        private long line;
        private final byte[] current = new byte[64];
        private int offset = 64;

        LedgerStream(long size, MessageDigest digest) {
            this.size = size;
            this.digest = digest;
        }

        private void nextLine() {
            // "2026-11-24,tx-%015d,acct-%04d,EUR,%010d.%02d\n" without String.format: 64 bytes
            byte[] b = current;
            byte[] prefix = "2026-11-24,tx-".getBytes();
            System.arraycopy(prefix, 0, b, 0, prefix.length);
            digits(b, 14, 15, line);
            byte[] mid = ",acct-".getBytes();
            System.arraycopy(mid, 0, b, 29, mid.length);
            digits(b, 35, 4, (line * 7919) % 10000);
            byte[] eur = ",EUR,".getBytes();
            System.arraycopy(eur, 0, b, 39, eur.length);
            digits(b, 44, 16, (line * 104729) % 100000000000L);
            b[60] = '.';
            digits(b, 61, 2, line % 100);
            b[63] = '\n';
            line++;
            offset = 0;
        }

        private static void digits(byte[] b, int at, int n, long value) {
            long v = value;
            for (int i = at + n - 1; i >= at; i--) {
                b[i] = (byte) ('0' + v % 10);
                v /= 10;
            }
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] out, int off, int len) {
            if (position >= size) {
                return -1;
            }
            int n = (int) Math.min(len, size - position);
            int written = 0;
            while (written < n) {
                if (offset == 64) {
                    nextLine();
                }
                int k = Math.min(n - written, 64 - offset);
                System.arraycopy(current, offset, out, off + written, k);
                offset += k;
                written += k;
            }
            digest.update(out, off, n);
            position += n;
            return n;
        }
    }

    public static void main(String[] args) throws Exception {
        Path repoDir = Path.of(args[0]);
        long size = Long.parseLong(args[1]);
        MessageDigest generated = MessageDigest.getInstance("SHA-256");
        Source source = new Source() {
            @Override
            public SourceId id() {
                return new SourceId("generated", "ledger");
            }

            @Override
            public SourceReader open(BackupContext context) {
                return new SourceReader() {
                    boolean done;

                    @Override
                    public Optional<SourceEntry> next() {
                        if (done) {
                            return Optional.empty();
                        }
                        done = true;
                        return Optional.of(SourceEntry.of(Entry.regular("ledger.csv").size(size).build(),
                                () -> new LedgerStream(size, generated)));
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        try (Repository repo = Repository.init(new LocalDirectorySink(repoDir))) {
            BackupResult result = Backup.pipeline().source(source).to(repo).build().run();
            String expected = HexFormat.of().formatHex(generated.digest());
            MessageDigest restored = MessageDigest.getInstance("SHA-256");
            long[] count = new long[1];
            repo.restore(SnapshotSelector.id(result.snapshotId())).to(new RestoreTarget() {
                @Override
                public void begin(RestoreContext context) {
                }

                @Override
                public void write(Entry entry, InputStream content) throws IOException {
                    byte[] buffer = new byte[1 << 16];
                    int n;
                    while ((n = content.read(buffer)) > 0) {
                        restored.update(buffer, 0, n);
                        count[0] += n;
                    }
                }

                @Override
                public void finish() {
                }
            }).run();
            String actual = HexFormat.of().formatHex(restored.digest());
            System.out.println("backed up " + result.bytesRead() + " bytes, stored " + result.bytesStored()
                    + ", restored " + count[0] + " bytes, max heap " + Runtime.getRuntime().maxMemory());
            if (!actual.equals(expected) || count[0] != size) {
                System.out.println("MISMATCH expected " + expected + " got " + actual);
                System.exit(1);
            }
            System.out.println("ok " + actual);
        }
    }
}
