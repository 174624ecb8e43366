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
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Backs up a generated tree of many tiny entries (a mail spool: a few hundred bytes each, every one different), as a
 * Source that makes each entry when it is read (nothing on disk first), then restores it into a target that only
 * hashes it. Run in a JVM with a small heap by {@link ManySmallEntriesIT}. Prints "ok <sha256>" when the restore saw
 * exactly what was generated.
 */
public final class ManySmallEntriesMain {
    private ManySmallEntriesMain() {
    }

    /**
     * 500 entries to a directory, one directory after the other: a Source emits all entries below a directory together
     * (the order snapshots as trees rely on), and names sort in the order they come.
     */
    static String path(int i) {
        return String.format("spool/%03d/mail-%07d.eml", i / 500, i);
    }

    /** 40 to 400 bytes of mail-like text, different for every entry. */
    static byte[] content(int i) {
        StringBuilder sb = new StringBuilder(420);
        sb.append("From: user").append(i % 977).append("@example.org\nSubject: statement ").append(i).append('\n');
        long x = i * 0x9E3779B97F4A7C15L;
        int lines = (int) ((x >>> 60) & 7);
        for (int l = 0; l < lines; l++) {
            sb.append("balance ").append(Long.toHexString(x ^ l * 31L)).append(" EUR\n");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    public static void main(String[] args) throws Exception {
        Path repoDir = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        MessageDigest generated = MessageDigest.getInstance("SHA-256");
        Source source = new Source() {
            @Override
            public SourceId id() {
                return new SourceId("generated", "spool");
            }

            @Override
            public SourceReader open(BackupContext context) {
                return new SourceReader() {
                    int next;

                    @Override
                    public Optional<SourceEntry> next() {
                        if (next >= count) {
                            return Optional.empty();
                        }
                        int i = next++;
                        byte[] bytes = content(i);
                        generated.update(path(i).getBytes(StandardCharsets.UTF_8));
                        generated.update(bytes);
                        return Optional.of(SourceEntry.of(Entry.regular(path(i)).size(bytes.length).build(),
                                () -> new ByteArrayInputStream(bytes)));
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        long start = System.nanoTime();
        try (Repository repo = Repository.init(new LocalDirectorySink(repoDir))) {
            BackupResult result = Backup.pipeline().source(source).to(repo).build().run();
            long backedUp = System.nanoTime();
            String expected = HexFormat.of().formatHex(generated.digest());
            MessageDigest restored = MessageDigest.getInstance("SHA-256");
            long[] entries = new long[1];
            repo.restore(SnapshotSelector.id(result.snapshotId())).to(new RestoreTarget() {
                @Override
                public void begin(RestoreContext context) {
                }

                @Override
                public void write(Entry entry, InputStream content) throws IOException {
                    restored.update(entry.path().getBytes(StandardCharsets.UTF_8));
                    restored.update(content.readAllBytes());
                    entries[0]++;
                }

                @Override
                public void finish() {
                }
            }).run();
            String actual = HexFormat.of().formatHex(restored.digest());
            System.out.printf("backed up %d entries (%d bytes, %d stored) in %.1f s, restored %d entries in %.1f s,"
                            + " max heap %d%n", result.entries(), result.bytesRead(), result.bytesStored(),
                    (backedUp - start) / 1e9, entries[0], (System.nanoTime() - backedUp) / 1e9,
                    Runtime.getRuntime().maxMemory());
            if (!actual.equals(expected) || entries[0] != count) {
                System.out.println("MISMATCH expected " + expected + " got " + actual);
                System.exit(1);
            }
            System.out.println("ok " + actual);
        }
    }
}
