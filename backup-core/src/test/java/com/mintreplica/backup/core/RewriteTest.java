package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Repository.rewrite}: restic's {@code rewrite --exclude}, what erasing one person's files from every backup
 * takes (GDPR's right to erasure), with a prune that then deletes their bytes from the repository.
 */
class RewriteTest {
    /** No compression, no encryption: the stored bytes are the content, so the test can look for it in every file. */
    private static final RepositorySettings PLAIN = RepositorySettings.defaults().withTransformers(List.of());
    private static final String SECRET = "alice-4711 account DE44500105175407324931 balance 9231.77";

    @TempDir
    Path temp;

    private static Map<String, String> tree(String extra) {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("app", null);
        t.put("app/users", null);
        t.put("app/users/alice-4711.txt", SECRET);
        t.put("app/users/bob.txt", "bob's statement");
        t.put("app/logs", null);
        t.put("app/logs/app.log", "started");
        if (extra != null) {
            t.put("app/" + extra, extra);
        }
        return t;
    }

    /** Whether any file of the repository holds {@code text}. */
    private boolean stored(Path repo, String text) throws IOException {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.walk(repo)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                byte[] b = Files.readAllBytes(p);
                outer:
                for (int i = 0; i + needle.length <= b.length; i++) {
                    for (int j = 0; j < needle.length; j++) {
                        if (b[i + j] != needle[j]) {
                            continue outer;
                        }
                    }
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void rewrite_forget_and_prune_erase_a_file_from_every_snapshot_and_from_the_stored_bytes() throws Exception {
        Path dir = temp.resolve("repo");
        try (Repository repo = Repository.init(new LocalDirectorySink(dir), PLAIN)) {
            Instant t = Instant.parse("2026-12-01T00:00:00Z");
            Snapshot one = Backup.pipeline().source(MapSource.of("d", tree(null))).to(repo).time(t).build().run().snapshot();
            Snapshot two = Backup.pipeline().source(MapSource.of("d", tree("new.txt"))).to(repo).time(t.plusSeconds(60))
                    .build().run().snapshot();
            assertThat(stored(dir, SECRET)).as("stored before").isTrue();

            RewriteReport dry = repo.rewrite(List.of(), List.of("alice-4711.txt"), true, true);
            assertThat(dry.dryRun()).isTrue();
            assertThat(dry.rewritten()).extracting(RewriteReport.Rewritten::original).containsExactly(one.id(), two.id());
            assertThat(dry.rewritten()).allSatisfy(r -> {
                assertThat(r.replacement()).isEmpty();
                assertThat(r.removed()).containsExactly("app/users/alice-4711.txt");
            });
            assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(one.id(), two.id());

            // without --forget: a new snapshot beside each, which differs from it by that file alone
            RewriteReport kept = repo.rewrite(List.of(one.id().substring(0, 20)), List.of("/app/users/alice-4711.txt"),
                    false, false);
            String rewrittenOne = kept.rewritten().get(0).replacement().orElseThrow();
            List<String> said = new ArrayList<>();
            repo.diff(SnapshotSelector.id(one.id()), SnapshotSelector.id(rewrittenOne),
                    c -> said.add(c.kind().mark() + " " + c.entry().path()));
            assertThat(said).containsExactly("- app/users/alice-4711.txt");
            Snapshot copy = repo.snapshot(SnapshotSelector.id(rewrittenOne));
            assertThat(copy.facts()).containsEntry("rewrite.of", one.id());
            assertThat(copy.time()).isEqualTo(one.time().plusMillis(1));
            assertThat(copy.host()).isEqualTo(one.host());
            assertThat(copy.stats().entries()).isEqualTo(one.stats().entries() - 1);

            // with --forget: every snapshot; the one rewritten before keeps its copy (no second one)
            RewriteReport all = repo.rewrite(List.of(), List.of("alice-4711.txt"), false, true);
            assertThat(all.rewritten()).extracting(RewriteReport.Rewritten::original).containsExactly(one.id(), two.id());
            assertThat(all.rewritten().get(0).replacement()).contains(rewrittenOne);
            assertThat(all.unchanged()).containsExactly(rewrittenOne);
            assertThat(all.forgotten()).containsExactly(one.id(), two.id());
            assertThat(repo.snapshots()).hasSize(2).allSatisfy(s -> assertThat(s.facts()).containsKey("rewrite.of"));
            assertThat(repo.rewrite(List.of(), List.of("alice-4711.txt"), false, true).rewritten()).isEmpty();

            // the bytes and the name stay until a prune; one that repacks every partly used pack removes them
            assertThat(stored(dir, SECRET)).as("stored until a prune").isTrue();
            repo.prune().maxUnused(0).run();
            assertThat(stored(dir, SECRET)).as("content after the prune").isFalse();
            assertThat(stored(dir, "alice-4711")).as("name after the prune").isFalse();
            assertThat(stored(dir, "bob's statement")).isTrue();
            assertThat(repo.verify(true).problems()).isEmpty();
        }
    }

    @Test
    void a_directory_matched_goes_with_everything_below_it_and_the_rest_is_shared() {
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")))) {
            Snapshot one = Backup.pipeline().source(MapSource.of("d", tree(null))).to(repo)
                    .time(Instant.parse("2026-12-01T00:00:00Z")).build().run().snapshot();
            RewriteReport r = repo.rewrite(List.of(), List.of("users/"), false, false);
            assertThat(r.rewritten()).singleElement().satisfies(w -> {
                assertThat(w.removed()).containsExactly("app/users");
                assertThat(w.entriesKept()).isEqualTo(one.stats().entries() - 3);
            });
            List<String> said = new ArrayList<>();
            repo.diff(SnapshotSelector.id(one.id()), SnapshotSelector.id(r.rewritten().get(0).replacement().get()),
                    c -> said.add(c.kind().mark() + " " + c.entry().path()));
            assertThat(said).containsExactly("- app/users", "- app/users/alice-4711.txt", "- app/users/bob.txt");

            assertThat(repo.rewrite(List.of(), List.of("nothing-like-this"), false, false).unchanged()).hasSize(2);
            assertThatThrownBy(() -> repo.rewrite(List.of(), List.of(), false, false))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("exclude pattern");
            assertThatThrownBy(() -> repo.rewrite(List.of("nope"), List.of("x"), false, false))
                    .isInstanceOf(NotFoundException.class);
        }
    }
}
