package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The committed fixtures of the writers addition (format.md section 14; made once by {@link MakeWriterFixtures}, see
 * {@code src/test/resources/writers-v1/README.md}): the encrypted golden version-1 repositories after writers backed up
 * into them and one writer was revoked. Every later build must open them as they are: all snapshots trusted, verify
 * clean, every golden and writer snapshot restoring as recorded; the committed writer key that is still valid backs up
 * into them, the revoked one refuses.
 */
@Timeout(600)
class WriterFixturesTest {
    @TempDir
    Path temp;

    static Path fixtures() {
        try {
            return Path.of(WriterFixturesTest.class.getResource("/writers-v1").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<String> repositories() throws Exception {
        return StreamSupport.stream(MakeWriterFixtures.load(fixtures()).get("repositories").spliterator(), false)
                .map(r -> r.get("name").asText());
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("repositories")
    void a_repository_that_gained_writers_opens_restores_and_takes_backups_as_it_was_made(String name) throws Exception {
        JsonNode expected = MakeWriterFixtures.load(fixtures());
        JsonNode node = StreamSupport.stream(expected.get("repositories").spliterator(), false)
                .filter(r -> r.get("name").asText().equals(name)).findFirst().orElseThrow();
        Golden.Repo golden = Golden.load(GoldenRepositoryTest.goldenRoot().resolve(expected.get("golden").asText()))
                .stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
        Path copy = temp.resolve("repository");
        Golden.copyTree(fixtures().resolve(node.get("path").asText()), copy);
        String r = copy.toString();
        List<String> key = golden.keyArgs();

        List<String> ids = new ArrayList<>();
        for (JsonNode s : Golden.JSON.readTree(ok(Cli.run(MakeWriterFixtures.with(key, "list", "--repo", r, "--json"))).out())) {
            ids.add(s.get("id").asText());
        }
        List<String> expectedIds = new ArrayList<>(golden.snapshots().stream().map(Golden.ExpectedSnapshot::id).toList());
        node.get("writerSnapshots").forEach(s -> expectedIds.add(s.get("id").asText()));
        assertThat(ids).containsExactlyInAnyOrderElementsOf(expectedIds);
        assertThat(ok(Cli.run(MakeWriterFixtures.with(key, "list", "--repo", r))).out()).doesNotContain("NOT TRUSTED");
        assertThat(ok(Cli.run(MakeWriterFixtures.with(key, "verify", "--repo", r, "--read-data"))).out())
                .contains("no problems found");
        String writers = ok(Cli.run(MakeWriterFixtures.with(key, "key", "writer", "list", "--repo", r))).out();
        assertThat(writers.lines().filter(l -> l.contains("'app2'"))).singleElement().asString().contains("revoked");
        assertThat(writers.lines().filter(l -> l.contains("'app1'"))).singleElement().asString().doesNotContain("revoked");

        Golden.Problems problems = new Golden.Problems();
        for (Golden.ExpectedSnapshot snapshot : golden.snapshots()) {
            Path target = temp.resolve("restore-" + snapshot.id());
            ok(Cli.run(MakeWriterFixtures.with(key, "restore", "--repo", r, snapshot.id(), "--target", target.toString())));
            Golden.compare(name + " snapshot " + snapshot.id(), snapshot.entries(), Golden.describe(target, p -> true), problems);
        }
        assertThat(problems.isEmpty()).as("%s", problems).isTrue();
        for (JsonNode s : node.get("writerSnapshots")) {
            Path target = temp.resolve("restore-" + s.get("id").asText());
            ok(Cli.run(MakeWriterFixtures.with(key, "restore", "--repo", r, s.get("id").asText(), "--target", target.toString())));
            Map<String, String> want = new TreeMap<>();
            s.get("files").fields().forEachRemaining(e -> want.put(e.getKey(), e.getValue().asText()));
            assertThat(MakeWriterFixtures.files(target.resolve(expected.get("root").asText().substring(1))))
                    .as("snapshot %s of %s", s.get("id").asText(), s.get("writer").asText()).isEqualTo(want);
        }

        // the committed writer keys: app1 still backs up (deduplicating against what it stored), app2 was revoked
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("new.txt"), "after the fixtures were made\n", StandardCharsets.UTF_8);
        Map<String, String> env = Map.of("XDG_CACHE_HOME", temp.resolve("cache").toString());
        Path keys = fixtures().resolve("keys");
        ok(Cli.run(env, "backup", "--repo", r, "--writer-key", keys.resolve(name + "-app1.key").toString(), data.toString()));
        Cli.Result revoked = Cli.run(env, "backup", "--repo", r, "--writer-key", keys.resolve(name + "-app2.key").toString(),
                data.toString());
        assertThat(revoked.code()).as(revoked.toString()).isEqualTo(2);
        assertThat(revoked.err()).contains("was revoked");
        Path latest = temp.resolve("restore-latest");
        ok(Cli.run(MakeWriterFixtures.with(key, "restore", "--repo", r, "latest", "--target", latest.toString())));
        assertThat(latest.resolve(data.toString().substring(1)).resolve("new.txt")).hasContent("after the fixtures were made");
    }

    /** Every file is listed with its SHA-256 in SHA256SUMS, and nothing else is there (the fixtures are never rewritten). */
    @Test
    void the_fixtures_are_exactly_what_was_made() throws IOException, Exception {
        Map<String, String> listed = new TreeMap<>();
        for (String line : Files.readAllLines(fixtures().resolve("SHA256SUMS"), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                listed.put(line.substring(66), line.substring(0, 64));
            }
        }
        Set<String> ignored = new HashSet<>(List.of("SHA256SUMS", "README.md", ".gitattributes"));
        Map<String, String> actual = new TreeMap<>(MakeWriterFixtures.files(fixtures()));
        actual.keySet().removeAll(ignored);
        assertThat(actual).isEqualTo(listed);
    }
}
