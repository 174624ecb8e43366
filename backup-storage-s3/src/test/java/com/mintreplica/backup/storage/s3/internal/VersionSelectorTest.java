package com.mintreplica.backup.storage.s3.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.storage.s3.internal.VersionSelector.Version;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class VersionSelectorTest {
    private static final Instant T0 = Instant.parse("2026-11-20T00:00:00Z");

    private static Version v(String key, String id, int seconds, boolean marker, boolean latest) {
        return new Version(key, id, T0.plusSeconds(seconds), marker, marker ? 0 : 10, latest, marker ? "" : "\"" + id + "\"");
    }

    @Test
    void the_version_current_at_a_time_is_the_newest_written_at_or_before_it() {
        List<Version> versions = List.of(v("a", "1", 0, false, false), v("a", "2", 10, false, false), v("a", "3", 20, false, true));
        assertThat(VersionSelector.currentAt(versions, T0.plusSeconds(15))).containsOnlyKeys("a")
                .hasEntrySatisfying("a", x -> assertThat(x.versionId()).isEqualTo("2"));
        assertThat(VersionSelector.currentAt(versions, T0.plusSeconds(10)).get("a").versionId()).isEqualTo("2");
        assertThat(VersionSelector.currentAt(versions, Instant.MAX).get("a").versionId()).isEqualTo("3");
    }

    @Test
    void a_key_deleted_before_the_time_or_created_after_it_did_not_exist_then() {
        List<Version> versions = List.of(v("gone", "1", 0, false, false), v("gone", "2", 5, true, true),
                v("later", "1", 30, false, true));
        assertThat(VersionSelector.currentAt(versions, T0.plusSeconds(10))).isEmpty();
        assertThat(VersionSelector.currentAt(versions, T0.plusSeconds(3))).containsOnlyKeys("gone");
    }

    @Test
    void versions_written_within_the_same_second_go_to_the_one_s3_marks_latest() {
        List<Version> versions = List.of(v("a", "old", 5, false, false), v("a", "marker", 5, true, true));
        assertThat(VersionSelector.currentAt(versions, T0.plusSeconds(5))).isEmpty();
        List<Version> rewritten = List.of(v("a", "new", 5, false, true), v("a", "marker", 5, true, false));
        assertThat(VersionSelector.currentOfKeyAt(rewritten, T0.plusSeconds(5))).hasValueSatisfying(
                x -> assertThat(x.versionId()).isEqualTo("new"));
    }
}
