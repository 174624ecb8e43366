package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Restore.exclude}: restic's {@code restore --exclude}, by name, by path, and whole directories. */
class RestoreExcludeTest {
    @TempDir
    Path temp;

    private static Map<String, String> tree() {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("srv", null);
        t.put("srv/app", null);
        t.put("srv/app/app.conf", "conf");
        t.put("srv/app/app.log", "log");
        t.put("srv/app/cache", null);
        t.put("srv/app/cache/blob", "cached");
        t.put("srv/app/data", null);
        t.put("srv/app/data/ledger", "ledger");
        t.put("srv/app/data/old.log", "old log");
        t.put("srv/app/name-\udcff.bin", "a name that is not UTF-8");
        t.put("srv/app/with\nnewline", "a name with a newline");
        return t;
    }

    private static Map<String, byte[]> restored(Repository repo, String... excludes) {
        PruneFixture.MapTarget target = new PruneFixture.MapTarget();
        repo.restore(SnapshotSelector.latest()).to(target).exclude(excludes).run();
        return target.files;
    }

    @Test
    void excluded_entries_and_everything_below_an_excluded_directory_are_left_out() {
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Backup.pipeline().source(MapSource.of("x", tree())).to(repo).build().run();

            assertThat(restored(repo, "*.log", "cache").keySet()).containsExactly("srv", "srv/app", "srv/app/app.conf",
                    "srv/app/data", "srv/app/data/ledger", "srv/app/name-\udcff.bin", "srv/app/with\nnewline");
            assertThat(restored(repo, "/srv/app/data").keySet()).as("an absolute path")
                    .doesNotContain("srv/app/data", "srv/app/data/ledger").contains("srv/app/app.log");
            assertThat(restored(repo, "srv/*/data/**").keySet()).as("a relative path with ** below a directory")
                    .contains("srv/app/data").doesNotContain("srv/app/data/ledger", "srv/app/data/old.log");
            assertThat(restored(repo, "app.{conf,log}", "name-?*.bin").keySet()).as("braces; a name not in UTF-8")
                    .doesNotContain("srv/app/app.conf", "srv/app/app.log", "srv/app/name-\udcff.bin")
                    .contains("srv/app/data/old.log");
            assertThat(restored(repo, "[!a]*.log").keySet()).as("a class").contains("srv/app/app.log")
                    .doesNotContain("srv/app/data/old.log");
            assertThat(restored(repo).keySet()).hasSize(tree().size());
            // the explorers' C-2 and C-3: a relative path matches from any directory on, a trailing / is ignored, and
            // a byte of a name that is not UTF-8 is given as `ls` shows it
            assertThat(restored(repo, "app/data").keySet()).doesNotContain("srv/app/data", "srv/app/data/ledger")
                    .contains("srv/app/app.log");
            assertThat(restored(repo, "app/data/").keySet()).doesNotContain("srv/app/data/ledger");
            assertThat(restored(repo, "data/*.log").keySet()).doesNotContain("srv/app/data/old.log")
                    .contains("srv/app/data/ledger", "srv/app/app.log");
            assertThat(restored(repo, "name-\\xff.bin").keySet()).doesNotContain("srv/app/name-\udcff.bin")
                    .contains("srv/app/app.log");
            assertThat(restored(repo, "pp/data").keySet()).as("from a directory on, not inside a name")
                    .contains("srv/app/data/ledger");
            // the explorers' D-4: a newline as `ls` shows it (\n) matches the newline; bytes the command line could
            // not pass on (a pattern holding U+FFFD, what the JVM makes of them) are refused, not matched against nothing
            assertThat(restored(repo, "with\\nnewline").keySet()).doesNotContain("srv/app/with\nnewline")
                    .contains("srv/app/app.log");
            assertThat(restored(repo, "with\nnewline").keySet()).doesNotContain("srv/app/with\nnewline");
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.latest()).to(new PruneFixture.MapTarget())
                    .exclude("name-\ufffd.bin")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("not UTF-8").hasMessageContaining("\\xNN");
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.latest()).to(new PruneFixture.MapTarget()).exclude("["))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("'[' without its ']'");
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.latest()).to(new PruneFixture.MapTarget()).exclude(" "))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("empty");
        }
    }
}
