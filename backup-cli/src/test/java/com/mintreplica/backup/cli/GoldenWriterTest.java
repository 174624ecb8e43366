package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The encrypted golden repositories of every format version (written before write-only keys existed) take a writer:
 * an operator exports a writer key from a copy, the writer backs up with public material only (deduplicating against
 * the golden data in the chunked layout), and afterwards every golden snapshot still verifies and restores exactly as
 * {@code expected.json} records, next to the writer's new snapshot, which readers trust.
 */
@Timeout(600)
class GoldenWriterTest {
    @TempDir
    Path temp;

    static Stream<Golden.Repo> encryptedRepositories() throws IOException {
        return GoldenRepositoryTest.repositories().filter(Golden.Repo::encrypted);
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    private static String[] reader(Golden.Repo repo, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(repo.keyArgs());
        return all.toArray(String[]::new);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("encryptedRepositories")
    void a_golden_encrypted_repository_takes_a_writer_and_its_snapshots_still_restore_as_recorded(Golden.Repo repo)
            throws Exception {
        Path copy = temp.resolve("repository");
        Golden.copyTree(repo.directory(), copy);
        String r = copy.toString();
        Golden.ExpectedSnapshot last = repo.snapshots().get(repo.snapshots().size() - 1);

        // the writer backs up what the newest golden snapshot holds, plus one new file
        Path data = temp.resolve("data");
        ok(Cli.run(reader(repo, "restore", "--repo", r, last.id(), "--target", data.toString())));
        Path added = data.resolve("written-by-a-writer.txt");
        Files.writeString(added, "written with public material only\n");
        Path writerKey = temp.resolve("app1.key");
        ok(Cli.run(reader(repo, "key", "writer", "export", "--repo", r, "--name", "app1", "--out", writerKey.toString())));
        Cli.Result backup = ok(Cli.run(Map.of("XDG_CACHE_HOME", temp.resolve("cache").toString()), "backup", "--repo", r,
                "--writer-key", writerKey.toString(), "--json", data.toString()));
        JsonNode stats = Golden.JSON.readTree(backup.out());
        if (repo.layout().equals("chunked")) {
            // ~48 KiB of golden content read, and only the new file's few bytes stored
            assertThat(stats.get("bytesRead").asLong()).as("%s", stats).isGreaterThan(40_000);
            assertThat(stats.get("bytesNew").asLong()).as("the golden data is not stored again: %s", stats)
                    .isLessThan(1024);
        }
        String writerSnapshot = stats.get("id").asText();

        // a reader sees every golden snapshot and the writer's, all trusted
        JsonNode listed = Golden.JSON.readTree(ok(Cli.run(reader(repo, "list", "--repo", r, "--json"))).out());
        List<String> ids = new ArrayList<>();
        listed.forEach(s -> ids.add(s.get("id").asText()));
        List<String> expected = new ArrayList<>(repo.snapshots().stream().map(Golden.ExpectedSnapshot::id).toList());
        expected.add(writerSnapshot);
        assertThat(ids).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(ok(Cli.run(reader(repo, "list", "--repo", r))).out()).doesNotContain("NOT TRUSTED");
        assertThat(ok(Cli.run(reader(repo, "verify", "--repo", r, "--read-data"))).out()).contains("no problems found");

        // every golden snapshot restores exactly as recorded
        Golden.Problems problems = new Golden.Problems();
        for (Golden.ExpectedSnapshot snapshot : repo.snapshots()) {
            Path target = temp.resolve("restore-" + snapshot.id());
            ok(Cli.run(reader(repo, "restore", "--repo", r, snapshot.id(), "--target", target.toString())));
            Golden.compare(repo + " snapshot " + snapshot.id() + " restored after a writer backup", snapshot.entries(),
                    Golden.describe(target, path -> true), problems);
        }
        assertThat(problems.isEmpty()).as("%s", problems).isTrue();

        // and the writer's snapshot gives back what it backed up
        Path mine = temp.resolve("restore-writer");
        ok(Cli.run(reader(repo, "restore", "--repo", r, writerSnapshot, "--target", mine.toString())));
        Path restoredAdded = mine.resolve(data.toAbsolutePath().toString().substring(1)).resolve(added.getFileName());
        assertThat(restoredAdded).hasSameBinaryContentAs(added);
        for (Golden.Expected e : last.entries()) {
            if (e.type().equals("file")) {
                Path restored = mine.resolve(data.toAbsolutePath().toString().substring(1)).resolve(e.path());
                assertThat(Golden.sha256(restored)).as(e.path()).isEqualTo(e.sha256());
            }
        }
    }
}
