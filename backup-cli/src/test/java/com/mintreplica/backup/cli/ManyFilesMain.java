package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Backs up a generated tree of many small files (made as they are read, never on disk), backs it up again unchanged,
 * restores it into a target that only hashes it, and verifies the repository; run in a JVM with a small heap by
 * {@link ManyFilesIT}. Prints "ok <sha256>" when the restored entries and contents hash to what was generated.
 *
 * <p>The tree: {@code count} files of 600 to 2,600 random bytes, 500 to a directory, the directories two levels deep
 * ({@code g007/d0123/f00042.bin}). The data path's own buffers are set small for the small heap (4 MiB of chunks in
 * flight, chunks of 64 KiB to 1 MiB, packs of 1 MiB: at the defaults, chunks and packs in flight alone may take 48 MiB);
 * what this measures is the metadata: the snapshot's listings, the index, the ids a backup stores and the parent
 * comparison. Arguments: the repository, the count, files to a directory (500), and {@code backups-only} to stop after
 * the two backups.
 */
public final class ManyFilesMain {
    static final int PER_DIRECTORY = 500;
    static final int DIRECTORIES_PER_GROUP = 20;
    private static final Instant TIME = Instant.parse("2026-03-01T12:00:00Z");
    private static final long BUDGET = 4L << 20;

    private ManyFilesMain() {
    }

    static String path(int file) {
        return path(file, PER_DIRECTORY);
    }

    static String path(int file, int perDirectory) {
        int directory = file / perDirectory;
        return String.format("g%03d/d%04d/f%06d.bin", directory / DIRECTORIES_PER_GROUP, directory, file % perDirectory);
    }

    static byte[] content(int file) {
        SplittableRandom random = new SplittableRandom(file * 7919L + 17);
        byte[] b = new byte[600 + random.nextInt(2000)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        return b;
    }

    /** Directories before their files, in the order of a depth-first walk. */
    static Source source(int count) {
        return source(count, PER_DIRECTORY);
    }

    /** {@code perDirectory} files to a directory: as many as {@code count} puts them all into one. */
    static Source source(int count, int perDirectory) {
        return new Source() {
            @Override
            public SourceId id() {
                return new SourceId("generated", "many-files");
            }

            @Override
            public SourceReader open(BackupContext context) {
                return new SourceReader() {
                    int next;
                    String group = "";
                    String directory = "";

                    @Override
                    public Optional<SourceEntry> next() {
                        if (next >= count) {
                            return Optional.empty();
                        }
                        String path = path(next, perDirectory);
                        String g = path.substring(0, path.indexOf('/'));
                        String d = path.substring(0, path.lastIndexOf('/'));
                        if (!g.equals(group)) {
                            group = g;
                            return Optional.of(directory(g));
                        }
                        if (!d.equals(directory)) {
                            directory = d;
                            return Optional.of(directory(d));
                        }
                        int file = next++;
                        byte[] content = content(file);
                        Entry entry = Entry.regular(path).size(content.length).mode(0644).modified(TIME)
                                .changeToken(content.length + ":" + file).build();
                        return Optional.of(SourceEntry.of(entry, () -> new ByteArrayInputStream(content(file))));
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }

    private static SourceEntry directory(String path) {
        return SourceEntry.of(Entry.directory(path).mode(0755).modified(TIME).build(), InputStream::nullInputStream);
    }

    /** What a restore must give back: every path and content, in order. */
    static String expectedDigest(int count, int perDirectory) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (SourceReader reader = source(count, perDirectory).open(null)) {
            Optional<SourceEntry> e;
            while ((e = reader.next()).isPresent()) {
                digest.update(e.get().entry().path().getBytes());
                if (e.get().entry().type() == EntryType.REGULAR) {
                    try (InputStream in = e.get().openContent()) {
                        digest.update(in.readAllBytes());
                    }
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    public static void main(String[] args) throws Exception {
        Path repoDir = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        int perDirectory = args.length > 2 ? Integer.parseInt(args[2]) : PER_DIRECTORY;
        boolean backupsOnly = args.length > 3 && args[3].equals("backups-only");
        RepositorySettings settings = RepositorySettings.defaults()
                .withChunkSizes(64 * 1024, 256 * 1024, 1024 * 1024).withPackSize(1024 * 1024);
        try (Repository repo = Repository.init(new LocalDirectorySink(repoDir), settings)) {
            BackupResult first = Backup.pipeline().source(source(count, perDirectory)).to(repo).host("many").memoryBudget(BUDGET)
                    .build().run();
            System.out.println("first backup: " + first.entries() + " entries, " + first.bytesRead() + " bytes read in "
                    + first.duration());
            BackupResult second = Backup.pipeline().source(source(count, perDirectory)).to(repo).host("many").memoryBudget(BUDGET)
                    .build().run();
            System.out.println("unchanged backup: " + second.bytesRead() + " bytes read, " + second.bytesNew()
                    + " new, in " + second.duration());
            if (second.bytesRead() != 0 || second.bytesNew() != 0) {
                System.out.println("MISMATCH: the unchanged backup read or stored content again");
                System.exit(1);
            }
            if (backupsOnly) {
                return;
            }
            MessageDigest restored = MessageDigest.getInstance("SHA-256");
            long[] entries = new long[1];
            repo.restore(SnapshotSelector.id(second.snapshotId())).to(new RestoreTarget() {
                @Override
                public void begin(RestoreContext context) {
                }

                @Override
                public void write(Entry entry, InputStream content) throws IOException {
                    restored.update(entry.path().getBytes());
                    if (entry.type() == EntryType.REGULAR) {
                        byte[] buffer = new byte[8192];
                        int n;
                        while ((n = content.read(buffer)) > 0) {
                            restored.update(buffer, 0, n);
                        }
                    }
                    entries[0]++;
                }

                @Override
                public void finish() {
                }
            }).run();
            VerifyReport report = repo.verify(false);
            String actual = HexFormat.of().formatHex(restored.digest());
            String expected = expectedDigest(count, perDirectory);
            System.out.println("restored " + entries[0] + " entries, verify " + (report.ok() ? "ok" : report.problems())
                    + ", max heap " + Runtime.getRuntime().maxMemory());
            if (!actual.equals(expected) || !report.ok()) {
                System.out.println("MISMATCH expected " + expected + " got " + actual);
                System.exit(1);
            }
            System.out.println("ok " + actual);
        }
    }
}
