package com.mintreplica.backup.core;

import static com.mintreplica.backup.core.PruneFixture.backup;
import static com.mintreplica.backup.core.PruneFixture.objects;
import static com.mintreplica.backup.core.PruneFixture.smallSettings;
import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.RepositoryObjects;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Standalone objects ({@link Repository#putObject}, what the WAL archive stores under {@code wal/}): encoded by the
 * chain as single-object entries are, created only once, and never touched by prune (whatever their names look like,
 * however old) nor reported by verify.
 */
class StandaloneObjectsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Layout.class)
    void prune_and_verify_never_touch_wal_objects(Layout layout) throws Exception {
        LocalDirectorySink sink = new LocalDirectorySink(dir.resolve("repo"), false);
        Repository repo = Repository.init(sink, smallSettings().withLayout(layout));
        backup(repo, 1);
        backup(repo, 2);
        String suffix = repo.objectSuffix();
        assertThat(suffix).isEqualTo(".zst");
        List<String> names = List.of(
                RepositoryObjects.WAL_PREFIX + "db1/7312/0000000100000000/000000010000000000000003-"
                        + "ab".repeat(32) + "-20260101T000000000Z" + suffix,
                // names that look like what prune removes elsewhere: a pack name, a single-layout entry
                RepositoryObjects.WAL_PREFIX + "data/00/" + "cd".repeat(32),
                RepositoryObjects.WAL_PREFIX + "files/20250101-000000-0badcafe/x" + suffix);
        for (String name : names) {
            assertThat(repo.putObject(name, new ByteArrayInputStream(name.getBytes(StandardCharsets.UTF_8)), ObjectKind.WAL)).isTrue();
            // create-if-absent: a second put of the same name stores nothing
            assertThat(repo.putObject(name, new ByteArrayInputStream(new byte[] {1}), ObjectKind.WAL)).isFalse();
        }
        PruneFixture.age(dir.resolve("repo"), Duration.ofDays(30));

        repo.prune().policy(Retention.builder().keepLast(1).build()).maxUnused(0).run();
        repo.prune().clock(Clock.offset(Clock.systemUTC(), Duration.ofDays(60))).maxUnused(0).run();

        assertThat(objects(sink).keySet()).containsAll(names);
        for (String name : names) {
            try (InputStream in = repo.openObject(name)) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(name);
            }
        }
        VerifyReport report = repo.verify(true);
        assertThat(report.problems()).isEmpty();
        assertThat(RepositoryObjects.kindOf(names.get(1))).contains(ObjectKind.WAL);
    }
}
