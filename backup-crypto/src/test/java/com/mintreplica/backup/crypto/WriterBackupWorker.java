package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two backups through a writer key of a generated tree of many small files, in its own JVM (a test gives it a small
 * heap): {@code WriterBackupWorker <repository dir> <writer key file> <cache dir> <files>}. Prints one line per backup:
 * {@code backup <n> <snapshot id> opened=<files opened> read=<bytes read> entries=<entries> parent=<id or ->}, then
 * the peak use of the heap's pools.
 */
public final class WriterBackupWorker {
    static final int PER_DIRECTORY = 1000;

    private WriterBackupWorker() {
    }

    public static void main(String[] args) {
        Path repository = Path.of(args[0]);
        WriterKey writer = WriterKey.load(Path.of(args[1])).withCacheDirectory(Path.of(args[2]));
        int files = Integer.parseInt(args[3]);
        GeneratedSource source = new GeneratedSource(files);
        for (int round = 0; round < 2; round++) {
            try (Repository repo = Repository.open(new LocalDirectorySink(repository), OpenPgpEncryption.writeWith(writer))) {
                BackupResult r = Backup.pipeline().source(source).to(repo).host("app1").build().run();
                System.out.println("backup " + round + " " + r.snapshot().id() + " opened=" + source.opened.getAndSet(0)
                        + " read=" + r.snapshot().stats().bytesRead() + " entries=" + r.snapshot().stats().entries()
                        + " parent=" + r.snapshot().parent().orElse("-"));
                System.out.flush();
            }
        }
        StringBuilder peaks = new StringBuilder("peak use of the heap's pools (MiB):");
        for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == java.lang.management.MemoryType.HEAP) {
                peaks.append(' ').append(pool.getName()).append(' ').append(pool.getPeakUsage().getUsed() >> 20);
            }
        }
        System.out.println(peaks.append("; max heap ").append(Runtime.getRuntime().maxMemory() >> 20));
    }

    /** The content of file {@code i}: small, and the same for every file of a directory (one blob per directory). */
    static byte[] content(String directory) {
        return ("content of the files of " + directory + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static String directory(int i) {
        return String.format("d%04d", i / PER_DIRECTORY);
    }

    /** {@code files} files, {@value #PER_DIRECTORY} a directory, made as they are read (none is held). */
    static final class GeneratedSource implements Source {
        final int files;
        final AtomicLong opened = new AtomicLong();

        GeneratedSource(int files) {
            this.files = files;
        }

        @Override
        public SourceId id() {
            return new SourceId("fs", "/srv/many");
        }

        @Override
        public SourceReader open(BackupContext context) {
            return new SourceReader() {
                private int next;
                private String openDirectory;

                @Override
                public Optional<SourceEntry> next() {
                    if (next >= files) {
                        return Optional.empty();
                    }
                    String dir = directory(next);
                    if (!dir.equals(openDirectory)) {
                        openDirectory = dir;
                        return Optional.of(SourceEntry.of(Entry.directory(dir).build(), () -> {
                            throw new IllegalStateException("a directory has no content");
                        }));
                    }
                    int i = next++;
                    String path = dir + "/f" + String.format("%07d", i) + ".txt";
                    byte[] content = content(dir);
                    Entry entry = Entry.regular(path).size(content.length).changeToken("v1-" + i).build();
                    return Optional.of(SourceEntry.of(entry, () -> {
                        opened.incrementAndGet();
                        return new ByteArrayInputStream(content);
                    }));
                }

                @Override
                public Map<String, String> facts() {
                    return Map.of();
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
