package com.mintreplica.backup.fs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.testkit.RecordingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walk stats a directory's entries through the descriptor its listing kept open (by name, not by whole path),
 * keeps at most {@link TreeReader#OPEN_DIRECTORIES} of them open however deep the tree, and closes every one it kept,
 * at the end of the walk and when closed half-way. Real directories; the descriptors are counted in /proc/self/fd.
 */
@Timeout(60)
class TreeReaderDescriptorsTest {
    @TempDir
    Path dir;

    private final RecordingContext context = new RecordingContext();

    @BeforeEach
    void native_calls_are_here() {
        assumeTrue(SourceDirectory.AVAILABLE && Fd.Statx.AVAILABLE, "no getdents64 or statx here");
    }

    private static long openDescriptors() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void a_tree_deeper_than_the_limit_is_walked_whole_with_at_most_the_limit_open_and_none_left() throws Exception {
        int depth = TreeReader.OPEN_DIRECTORIES * 2;
        Path d = dir.resolve("deep");
        for (int i = 0; i < depth; i++) {
            d = d.resolve("d" + i);
        }
        Files.createDirectories(d);
        Path p = dir.resolve("deep");
        for (int i = 0; i < depth; i++) {
            p = p.resolve("d" + i);
            Files.writeString(p.resolve("file"), "level " + i);
        }
        long before = openDescriptors();
        long most = 0;
        int entries = 0;
        try (TreeReader reader = new TreeReader(List.of(dir.resolve("deep")), List.of(), List.of(), context)) {
            Optional<SourceEntry> next;
            while ((next = reader.next()).isPresent()) {
                entries++;
                most = Math.max(most, openDescriptors() - before);
            }
            assertThat(openDescriptors()).as("open after the walk's end").isEqualTo(before);
        }
        assertThat(context.warnings()).isEmpty();
        // the directories above the root, the root, the depth directories below it and a file in each
        assertThat(entries).isGreaterThanOrEqualTo(2 * depth);
        // (a few of the JVM's own may come and go meanwhile: without the limit, the walk alone would hold 128)
        assertThat(most).as("descriptors open at once").isBetween(2L, TreeReader.OPEN_DIRECTORIES + 4L);
    }

    @Test
    void closing_a_walk_half_way_closes_the_directories_it_kept_open() throws Exception {
        Path root = dir.resolve("tree");
        Path leaf = Files.createDirectories(root.resolve("a/b/c/d"));
        for (int i = 0; i < 10; i++) {
            Files.writeString(leaf.resolve("f" + i), "x");
        }
        long before = openDescriptors();
        TreeReader reader = new TreeReader(List.of(root), List.of(), List.of(), context);
        while (!reader.next().orElseThrow().entry().path().endsWith("/f3")) {
            // down to the deepest directory
        }
        assertThat(openDescriptors() - before).as("the walk's directories, open").isGreaterThanOrEqualTo(4);
        reader.close();
        assertThat(openDescriptors()).isEqualTo(before);
    }

    @Test
    void entries_are_stated_in_the_directory_that_was_listed_even_after_it_is_renamed() throws Exception {
        Path root = dir.resolve("tree");
        Path listed = Files.createDirectories(root.resolve("listed"));
        for (int i = 0; i < 5; i++) {
            Files.writeString(listed.resolve("f" + i), "content " + i);
        }
        List<String> paths = new ArrayList<>();
        try (TreeReader reader = new TreeReader(List.of(root), List.of(), List.of(), context)) {
            Optional<SourceEntry> next;
            while ((next = reader.next()).isPresent()) {
                String path = next.get().entry().path();
                paths.add(path);
                if (path.endsWith("listed/f0")) {
                    Files.move(listed, root.resolve("moved")); // by whole path, f1 to f4 would now be gone
                }
            }
        }
        assertThat(paths).filteredOn(p -> p.contains("/listed/f")).hasSize(5);
        assertThat(context.warnings()).isEmpty();
    }
}
