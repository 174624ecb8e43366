package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Repository.forEachEntryIn}: restic's {@code ls SNAPSHOT DIR}, reading only the listings on the way. */
class LsDirectoryTest {
    @TempDir
    Path temp;
    private Path dir;

    @BeforeEach
    void snapshot() {
        Map<String, String> tree = new LinkedHashMap<>();
        tree.put("srv", null);
        tree.put("srv/app", null);
        tree.put("srv/app/a.txt", "a");
        tree.put("srv/app/sub", null);
        tree.put("srv/app/sub/b.txt", "b");
        tree.put("srv/app/sub/deeper", null);
        tree.put("srv/app/sub/deeper/c.txt", "c");
        tree.put("srv/big", null);
        for (int i = 0; i < 50; i++) {
            tree.put("srv/big/d" + i, null);
            tree.put("srv/big/d" + i + "/f.txt", "file " + i);
        }
        tree.put("top.txt", "top");
        dir = temp.resolve("repo");
        try (Repository repo = Repository.init(new LocalDirectorySink(dir))) {
            Backup.pipeline().source(MapSource.of("d", tree)).to(repo).time(Instant.parse("2026-12-07T00:00:00Z"))
                    .build().run();
        }
    }

    @Test
    void the_entries_in_one_directory_are_listed_from_the_listings_on_the_way_to_it() {
        assertThat(ls("/srv/app", false)).containsExactly("srv/app/a.txt", "srv/app/sub");
        assertThat(reads).as("the root's, srv's and srv/app's listings, not sub's nor big's").isEqualTo(3);

        assertThat(ls("srv/app/", true)).containsExactly("srv/app/a.txt", "srv/app/sub", "srv/app/sub/b.txt",
                "srv/app/sub/deeper", "srv/app/sub/deeper/c.txt");
        assertThat(reads).isEqualTo(5);

        assertThat(ls("/", false)).containsExactly("srv", "top.txt");
        assertThat(reads).isEqualTo(1);
        assertThat(ls("", true)).as("every entry").hasSize(7 + 1 + 100 + 1);

        assertThat(ls("srv/big/d7", false)).containsExactly("srv/big/d7/f.txt");
        assertThat(reads).isEqualTo(4);
    }

    @Test
    void a_path_that_is_not_a_directory_of_the_snapshot_is_said_so() {
        assertThatThrownBy(() -> ls("/srv/nothing", false)).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("has no directory '/srv/nothing'").hasMessageContaining("mint-backup ls");
        assertThatThrownBy(() -> ls("top.txt", false)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'top.txt'").hasMessageContaining("is a regular, not a directory");
        assertThatThrownBy(() -> ls("srv/ap", false)).isInstanceOf(NotFoundException.class);
    }

    private int reads;

    private List<String> ls(String directory, boolean recursive) {
        CountingReads counting = new CountingReads(new LocalDirectorySink(dir), "tree/");
        try (Repository repo = Repository.open(counting)) {
            Snapshot s = repo.snapshots().get(0);
            int before = counting.all();
            List<String> out = new ArrayList<>();
            repo.forEachEntryIn(s, directory, recursive, e -> out.add(e.path()));
            reads = counting.all() - before;
            return out;
        }
    }
}
