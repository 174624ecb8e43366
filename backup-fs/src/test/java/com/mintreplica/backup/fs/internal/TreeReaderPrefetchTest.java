package com.mintreplica.backup.fs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.SourceEntry;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walk asks the kernel for the small files ahead only while the backup reads files (a first backup), never when
 * it reuses them unread (an unchanged backup, where reading them ahead would be pure waste), and what it reads is
 * the same either way. Real files on the real file system; the kernel's page cache is not observable here, so the
 * test counts what the prefetcher asked for.
 */
@Timeout(60)
class TreeReaderPrefetchTest {
    @TempDir
    Path dir;

    private Path tree() throws Exception {
        Path root = dir.resolve("tree");
        for (int d = 0; d < 3; d++) {
            Path sub = Files.createDirectories(root.resolve("d" + d));
            for (int f = 0; f < 100; f++) {
                Files.writeString(sub.resolve(String.format("f%03d", f)), "content of " + d + "/" + f + "\n".repeat(f));
            }
            Files.createDirectories(sub.resolve("empty"));
        }
        return root;
    }

    private static final BackupContext CONTEXT = new BackupContext() {
        @Override
        public Clock clock() {
            return Clock.systemUTC();
        }

        @Override
        public void warn(String path, String message) {
            throw new AssertionError(path + ": " + message);
        }
    };

    /** Walks the tree, reading each regular file when {@code read}; returns what was read, by path. */
    private static List<String> walk(TreeReader reader, boolean read) throws Exception {
        List<String> out = new ArrayList<>();
        Optional<SourceEntry> next;
        while ((next = reader.next()).isPresent()) {
            SourceEntry e = next.get();
            if (read && e.entry().type() == EntryType.REGULAR) {
                try (InputStream in = e.openContent()) {
                    out.add(e.entry().path() + "=" + new String(in.readAllBytes()));
                }
            } else {
                out.add(e.entry().path());
            }
        }
        return out;
    }

    @Test
    void files_ahead_are_asked_for_while_files_are_read_and_read_the_same() throws Exception {
        Path root = tree();
        List<String> read;
        try (TreeReader reader = new TreeReader(List.of(root), List.of(), List.of(), CONTEXT)) {
            read = walk(reader, true);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (reader.prefetched() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(reader.prefetched()).as("files asked for ahead").isPositive();
        }
        assertThat(read.stream().filter(s -> s.contains("="))).hasSize(300);
        assertThat(read).contains(root.toString().substring(1) + "/d1/f007=content of 1/7" + "\n".repeat(7));
    }

    @Test
    void nothing_is_asked_for_when_no_file_is_read() throws Exception {
        Path root = tree();
        try (TreeReader reader = new TreeReader(List.of(root), List.of(), List.of(), CONTEXT)) {
            assertThat(walk(reader, false)).hasSizeGreaterThan(300);
            Thread.sleep(200);
            assertThat(reader.prefetched()).isZero();
        }
    }
}
