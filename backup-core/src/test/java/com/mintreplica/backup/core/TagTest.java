package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Repository.tag}: restic's {@code tag}, and a legal hold that a retention policy then keeps. */
class TagTest {
    @TempDir
    Path temp;

    @Test
    void a_snapshot_tagged_after_the_fact_is_kept_by_keep_tag_and_restores_as_before() {
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Instant t = Instant.parse("2026-12-01T00:00:00Z");
            Snapshot[] taken = new Snapshot[4];
            for (int i = 0; i < 4; i++) {
                Map<String, String> tree = new LinkedHashMap<>();
                tree.put("ledger", null);
                tree.put("ledger/day.csv", "day " + i);
                taken[i] = Backup.pipeline().source(MapSource.of("d", tree)).to(repo).tags("daily")
                        .time(t.plusSeconds(86_400L * i)).build().run().snapshot();
            }
            Map<String, Optional<String>> dry = repo.tag(List.of(taken[1].id()), List.of("hold"), List.of(),
                    Optional.empty(), true);
            assertThat(dry).containsOnlyKeys(taken[1].id());
            assertThat(dry.get(taken[1].id())).isEmpty();
            assertThat(repo.snapshot(SnapshotSelector.id(taken[1].id())).tags()).containsExactly("daily");

            Map<String, Optional<String>> done = repo.tag(List.of(taken[1].id().substring(0, 20)), List.of("hold"),
                    List.of(), Optional.empty(), false);
            String held = done.get(taken[1].id()).orElseThrow();
            Snapshot h = repo.snapshot(SnapshotSelector.id(held));
            assertThat(h.tags()).containsExactly("daily", "hold");
            assertThat(h.time()).isEqualTo(taken[1].time());
            assertThat(h.host()).isEqualTo(taken[1].host());
            assertThat(h.stats()).isEqualTo(taken[1].stats());
            assertThat(h.facts()).containsEntry("tag.of", taken[1].id());
            assertThat(repo.snapshots()).extracting(Snapshot::id).doesNotContain(taken[1].id()).contains(held);
            List<String> differences = new java.util.ArrayList<>();
            repo.diff(SnapshotSelector.id(taken[0].id()), SnapshotSelector.id(held), c -> differences.add(c.entry().path()));
            assertThat(differences).containsExactly("ledger/day.csv");

            // no change, no new snapshot; the tags as given replace, then add and remove
            assertThat(repo.tag(List.of(held), List.of("hold"), List.of(), Optional.empty(), false)).isEmpty();
            assertThat(repo.tag(List.of(taken[3].id()), List.of("x"), List.of("daily"), Optional.of(List.of("a", "daily")),
                    false).values()).singleElement().satisfies(id -> assertThat(repo.snapshot(SnapshotSelector.id(id.get()))
                    .tags()).containsExactly("a", "x"));

            repo.prune().policy(Retention.builder().keepLast(1).keepTag("hold").build()).run();
            assertThat(repo.snapshots()).extracting(Snapshot::id).contains(held).hasSize(2);
            assertThat(repo.verify(true).problems()).isEmpty();

            assertThatThrownBy(() -> repo.tag(List.of(held), List.of("a,b"), List.of(), Optional.empty(), false))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("comma");
            assertThatThrownBy(() -> repo.tag(List.of(held), List.of(), List.of(), Optional.empty(), false))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("nothing to change");
            assertThatThrownBy(() -> repo.tag(List.of(), Set.of("a"), List.of(), Optional.empty(), false))
                    .isInstanceOf(InvalidInputException.class);
        }
    }

    /**
     * Commands that take several snapshots (tag, rewrite, repair) take what the others take: {@code latest} (explorers'
     * E-F8: rewrite said there was no snapshot 'latest'), and, as every command, the hex part of an id that a restic
     * user types ({@code 1e09bedf} of {@code 20261207-082733-1e09bedf}).
     */
    @Test
    void snapshots_are_named_by_latest_and_by_the_hex_part_of_their_id() {
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Instant t = Instant.parse("2026-12-01T00:00:00Z");
            Snapshot[] taken = new Snapshot[3];
            for (int i = 0; i < 3; i++) {
                Map<String, String> tree = new LinkedHashMap<>();
                tree.put("f", "day " + i);
                taken[i] = Backup.pipeline().source(MapSource.of("d", tree)).to(repo).time(t.plusSeconds(86_400L * i))
                        .build().run().snapshot();
            }
            String hex = taken[1].id().substring(taken[1].id().lastIndexOf('-') + 1);
            assertThat(hex).hasSize(8);
            assertThat(repo.snapshot(SnapshotSelector.id(hex.substring(0, 6))).id()).isEqualTo(taken[1].id());
            assertThat(repo.snapshot(SnapshotSelector.parse(hex)).id()).isEqualTo(taken[1].id());

            Map<String, Optional<String>> latest = repo.tag(List.of("latest"), List.of("hold"), List.of(), Optional.empty(), false);
            assertThat(latest).containsOnlyKeys(taken[2].id());
            Map<String, Optional<String>> byHex = repo.tag(List.of(hex), List.of("hold"), List.of(), Optional.empty(), false);
            assertThat(byHex).containsOnlyKeys(taken[1].id());
            assertThatThrownBy(() -> repo.tag(List.of("ffffffff"), List.of("x"), List.of(), Optional.empty(), false))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("no snapshot 'ffffffff'");
        }
    }
}
