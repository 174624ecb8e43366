package com.mintreplica.backup.core;

import static com.mintreplica.backup.core.PruneFixture.DAY0;
import static com.mintreplica.backup.core.PruneFixture.random;
import static com.mintreplica.backup.core.PruneFixture.smallSettings;
import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.SourceId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A blob stored in two packs, one copy of which is bad (what an index object of a writer key's thief could claim, or a
 * damaged pack): prune keeps the good copy, never only the bad one.
 */
class PruneDuplicateCopiesTest {
    @TempDir
    Path dir;

    private static Snapshot backup(Repository repo, Map<String, byte[]> files, int day) {
        return Backup.pipeline().source(new PruneFixture.MapSource(new SourceId("map", "test"), files)).to(repo)
                .host("host").time(DAY0.plus(Duration.ofDays(day))).parallelism(1).build().run().snapshot();
    }

    private static List<Path> files(Path root, String prefix) throws Exception {
        try (Stream<Path> all = Files.walk(root.resolve(prefix))) {
            return all.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void prune_keeps_the_good_copy_of_a_blob_stored_twice_when_the_other_copy_is_bad() throws Exception {
        byte[] x = random(24 * 1024, 11);
        byte[] y = random(24 * 1024, 12);
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Snapshot both;
        try (Repository repo = Repository.init(new LocalDirectorySink(a, false), smallSettings())) {
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("x", x);
            files.put("y", y);
            both = backup(repo, files, 1);
        }
        // The same repository elsewhere, without its index: a backup of x there stores x's blobs again, in new packs.
        PruneFixture.copy(a, b);
        for (Path index : files(b, "index")) {
            Files.delete(index);
        }
        Set<Path> before = Set.copyOf(files(b, "data"));
        Snapshot onlyX;
        try (Repository clone = Repository.open(new LocalDirectorySink(b, false))) {
            onlyX = backup(clone, Map.of("x", x), 2);
        }
        // Bring those packs, their index object and the snapshot (with its tree pack: snapshots are trees) into the
        // first repository, with every data blob copy in them damaged: each blob of x is now indexed twice, once good
        // and once bad.
        for (String prefix : List.of("data", "tree", "index", "snapshots")) {
            for (Path f : files(b, prefix)) {
                Path target = a.resolve(b.relativize(f).toString());
                if (!Files.exists(target) && !before.contains(f)) {
                    Files.createDirectories(target.getParent());
                    byte[] bytes = Files.readAllBytes(f);
                    if (prefix.equals("data")) {
                        bytes[10] ^= 0x55; // inside the first blob; the header (and so the pack's name) is intact
                    }
                    Files.write(target, bytes);
                }
            }
        }
        try (Repository repo = Repository.open(new LocalDirectorySink(a, false))) {
            repo.forget(both); // y is no longer used: the packs holding the good copies of x are only partly used
            repo.prune().maxUnused(0).unindexedGrace(Duration.ZERO).run();

            PruneFixture.MapTarget target = new PruneFixture.MapTarget();
            repo.restore(SnapshotSelector.id(onlyX.id())).to(target).run();
            assertThat(target.files.get("x")).isEqualTo(x);
            assertThat(repo.verify(true).problems()).isEmpty();
        }
    }
}
