package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.RepositoryObjects;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The public layout Sinks read agrees with the names the core's writers use. */
class RepositoryObjectsTest {

    @Test
    void the_published_prefixes_are_the_ones_the_core_writes_under() {
        assertThat(RepositoryObjects.namePrefixes(ObjectKind.CONFIG)).containsExactly(RepoConfig.OBJECT);
        assertThat(RepositoryObjects.namePrefixes(ObjectKind.KEY)).containsExactly(RepositoryEncryption.KEYS_PREFIX, "writers/", "sessions/");
        assertThat(RepositoryObjects.namePrefixes(ObjectKind.AUDIT)).containsExactly("audit/");
        assertThat(RepositoryObjects.namePrefixes(ObjectKind.SNAPSHOT)).containsExactly(Manifest.PREFIX);
        assertThat(RepositoryObjects.namePrefixes(ObjectKind.INDEX)).containsExactly(IndexFile.PREFIX);
        assertThat(RepositoryObjects.namePrefixes(ObjectKind.DATA)).containsExactly(Packs.PREFIX, SingleObjectNames.PREFIX);
        assertThat(RepositoryObjects.namePrefixes(ObjectKind.LOCK)).containsExactly(RepositoryLock.PREFIX);
        assertThat(RepositoryObjects.namePrefixes(ObjectKind.TREE)).containsExactly(Packs.TREE_PREFIX);
        // the WAL archive's (backup-postgres): no prefix of the core's own writers starts with it
        assertThat(RepositoryObjects.namePrefixes(ObjectKind.WAL)).containsExactly("wal/");
    }

    @Test
    void names_map_back_to_their_kind() {
        assertThat(RepositoryObjects.kindOf("config")).contains(ObjectKind.CONFIG);
        assertThat(RepositoryObjects.kindOf("configuration")).isEmpty();
        assertThat(RepositoryObjects.kindOf("keys/ab")).contains(ObjectKind.KEY);
        assertThat(RepositoryObjects.kindOf("snapshots/20261119-010000-3fa2c1d0")).contains(ObjectKind.SNAPSHOT);
        assertThat(RepositoryObjects.kindOf("index/00ff")).contains(ObjectKind.INDEX);
        assertThat(RepositoryObjects.kindOf("data/00/00ff")).contains(ObjectKind.DATA);
        assertThat(RepositoryObjects.kindOf("files/20261119-010000-3fa2c1d0/x")).contains(ObjectKind.DATA);
        assertThat(RepositoryObjects.kindOf("locks/x")).contains(ObjectKind.LOCK);
        assertThat(RepositoryObjects.kindOf("tree/00/00ff")).contains(ObjectKind.TREE);
        assertThat(RepositoryObjects.kindOf("wal/db1/7312/0000000100000000/000000010000000000000003-ab-x.zst"))
                .contains(ObjectKind.WAL);
        assertThat(RepositoryObjects.kindOf("writers/00000001")).contains(ObjectKind.KEY);
        assertThat(RepositoryObjects.kindOf("sessions/ab12")).contains(ObjectKind.KEY);
        assertThat(RepositoryObjects.kindOf("audit/2026/12/05.log")).contains(ObjectKind.AUDIT);
        assertThat(RepositoryObjects.kindOf("jobs/nightly/lease-1")).isEqualTo(Optional.empty());
    }
}
