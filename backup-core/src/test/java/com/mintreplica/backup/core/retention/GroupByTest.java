package com.mintreplica.backup.core.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.SourceId;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GroupByTest {

    static Snapshot snap(String id, String host, String source, String job, String... tags) {
        return new Snapshot(id, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(id.hashCode() & 0xffff), host,
                new SourceId("fs", source), Optional.ofNullable(job), Set.of(tags), Optional.empty(),
                new Snapshot.Stats(1, 1, 1, 1, 1, 1), Map.of(), List.of(), "test");
    }

    static final List<Snapshot> ALL = List.of(
            snap("1", "db1", "/etc", "nightly", "a"),
            snap("2", "db1", "/etc", "nightly", "a", "b"),
            snap("3", "db1", "/var", null),
            snap("4", "db2", "/etc", "nightly", "a"));

    static List<List<String>> ids(List<SnapshotGroup> groups) {
        return groups.stream().map(g -> g.snapshots().stream().map(Snapshot::id).toList()).toList();
    }

    @Test
    void by_default_one_source_on_one_host_is_one_group() {
        List<SnapshotGroup> groups = GroupBy.hostAndSource().group(ALL);

        assertThat(groups).extracting(SnapshotGroup::describe)
                .containsExactly("host=db1 source=fs:/etc", "host=db1 source=fs:/var", "host=db2 source=fs:/etc");
        assertThat(ids(groups).get(0)).containsExactlyInAnyOrder("1", "2");
        assertThat(groups.get(0).key()).containsEntry(GroupBy.Field.HOST, "db1").containsEntry(GroupBy.Field.SOURCE, "fs:/etc");
    }

    @Test
    void grouping_by_tags_separates_snapshots_with_other_tag_sets() {
        List<SnapshotGroup> groups = GroupBy.parse("host, source,tags").group(ALL);

        assertThat(groups).extracting(SnapshotGroup::describe).containsExactly(
                "host=db1 source=fs:/etc tags=a", "host=db1 source=fs:/etc tags=a,b", "host=db1 source=fs:/var tags=",
                "host=db2 source=fs:/etc tags=a");
    }

    @Test
    void grouping_by_job_or_by_nothing() {
        assertThat(GroupBy.parse("job").group(ALL)).extracting(SnapshotGroup::describe).containsExactly("job=(none)", "job=nightly");
        List<SnapshotGroup> one = GroupBy.parse("").group(ALL);
        assertThat(one).hasSize(1);
        assertThat(one.get(0).describe()).isEqualTo("all snapshots");
        assertThat(one.get(0).snapshots()).hasSize(4);
    }

    @Test
    void an_unknown_field_is_refused_with_the_known_ones() {
        assertThatThrownBy(() -> GroupBy.parse("host,paths"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'paths'")
                .hasMessageContaining("host, source, job and tags");
        assertThat(GroupBy.parse("tags,host")).hasToString("host,tags").isEqualTo(GroupBy.of(GroupBy.Field.TAGS, GroupBy.Field.HOST));
    }
}
