package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verify reads each tree pack whole, once, from the repository (restic's check and its temporary cache): it fetched
 * every tree blob with a ranged request of its own, and under a store's throttling (503 SlowDown) a 4-second verify
 * of 20,000 files took almost six minutes.
 */
class VerifyTreeReadsTest {
    @TempDir
    Path temp;

    @Test
    void each_tree_pack_is_read_once_and_damage_in_one_is_still_found() throws Exception {
        Map<String, String> tree = new LinkedHashMap<>();
        tree.put("srv", null);
        for (int i = 0; i < 150; i++) {
            tree.put("srv/d" + i, null);
            tree.put("srv/d" + i + "/f.txt", "file " + i);
        }
        Path dir = temp.resolve("repo");
        try (Repository repo = Repository.init(new LocalDirectorySink(dir))) {
            Instant t = Instant.parse("2026-12-01T00:00:00Z");
            for (int i = 0; i < 2; i++) {
                tree.put("srv/d" + i + "/f.txt", "changed " + i);
                Backup.pipeline().source(MapSource.of("d", tree)).to(repo).time(t.plusSeconds(60L * i)).build().run();
            }
        }
        long treePacks;
        try (Stream<Path> files = Files.walk(dir.resolve("tree"))) {
            treePacks = files.filter(Files::isRegularFile).count();
        }
        CountingReads counting = new CountingReads(new LocalDirectorySink(dir), "tree/");
        try (Repository repo = Repository.open(counting)) {
            assertThat(repo.verify(false).problems()).isEmpty();
        }
        assertThat(counting.ranged.get()).as("ranged reads of tree packs").isZero();
        assertThat(counting.whole.get()).as("whole reads of %d tree packs", treePacks).isEqualTo((int) treePacks);

        // what is judged is still what is stored: a damaged tree pack is found
        Path pack;
        try (Stream<Path> files = Files.walk(dir.resolve("tree"))) {
            pack = files.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(pack);
        bytes[bytes.length / 3] ^= 0x55;
        Files.write(pack, bytes);
        try (Repository repo = Repository.open(new LocalDirectorySink(dir))) {
            assertThat(repo.verify(false).problems()).isNotEmpty();
        }
    }
}
