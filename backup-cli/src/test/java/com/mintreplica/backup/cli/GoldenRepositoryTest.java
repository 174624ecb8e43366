package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Old repositories keep restoring: every golden repository committed under {@code src/test/resources/golden/v<N>/}
 * (made once by {@link MakeGoldenRepositories}, never rewritten) is listed, verified with {@code --read-data} and
 * restored snapshot by snapshot through the CLI, and every path, type, mode, size, SHA-256, link target and time is
 * compared with what was on disk when it was backed up. A format change adds a {@code v<N+1>} directory beside these;
 * this test picks it up by itself.
 */
@Timeout(600)
class GoldenRepositoryTest {
    @TempDir
    Path temp;

    static Path goldenRoot() {
        try {
            return Path.of(GoldenRepositoryTest.class.getResource("/golden").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Path> versions() throws IOException {
        try (Stream<Path> dirs = Files.list(goldenRoot())) {
            return dirs.filter(d -> d.getFileName().toString().matches("v\\d+") && Files.isDirectory(d)).sorted().toList();
        }
    }

    static Stream<Golden.Repo> repositories() throws IOException {
        List<Golden.Repo> all = new ArrayList<>();
        for (Path v : versions()) {
            all.addAll(Golden.load(v));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("repositories")
    void every_snapshot_of_a_golden_repository_lists_verifies_and_restores_as_it_was_backed_up(Golden.Repo repo) {
        Golden.Problems problems = Golden.check(repo, temp);
        assertThat(problems.isEmpty()).as("%s", problems).isTrue();
    }

    @Test
    void version_1_has_every_kind_of_repository_and_entry_the_format_must_keep_reading() throws IOException {
        Path v1 = goldenRoot().resolve("v1");
        List<Golden.Repo> repos = Golden.load(v1);
        assertThat(repos).extracting(r -> r.layout() + (r.encrypted() ? "+encrypted" : ""))
                .contains("chunked", "single", "chunked+encrypted", "single+encrypted");
        for (Golden.Repo repo : repos) {
            assertThat(repo.snapshots()).as(repo.name()).hasSizeGreaterThanOrEqualTo(3);
            List<Map<String, Golden.Expected>> states = repo.snapshots().stream()
                    .map(s -> s.entries().stream().collect(Collectors.toMap(Golden.Expected::path, e -> e, (a, b) -> a, TreeMap::new)))
                    .map(m -> (Map<String, Golden.Expected>) m).toList();
            Map<String, Golden.Expected> first = states.get(0);
            Map<String, Golden.Expected> second = states.get(1);
            Map<String, Golden.Expected> last = states.get(states.size() - 1);
            List<Golden.Expected> all = states.stream().flatMap(m -> m.values().stream()).toList();
            assertThat(first.keySet()).as("a file deleted after the first snapshot").anyMatch(p -> !second.containsKey(p));
            assertThat(first.values()).as("a file unchanged through all snapshots").anyMatch(e -> e.type().equals("file")
                    && e.size() > 0 && states.stream().allMatch(s -> e.equals(s.get(e.path()))));
            assertThat(first.values()).as("a file whose content changed").anyMatch(e -> e.type().equals("file")
                    && second.containsKey(e.path()) && !e.sha256().equals(second.get(e.path()).sha256()));
            assertThat(all).as("a directory").anyMatch(e -> e.type().equals("dir"));
            assertThat(all).as("a symlink").anyMatch(e -> e.type().equals("symlink"));
            assertThat(all).as("an empty file").anyMatch(e -> e.type().equals("file") && e.size() == 0);
            assertThat(all).as("a unicode name").anyMatch(e -> !StandardCharsets.US_ASCII.newEncoder().canEncode(e.path()));
            assertThat(last.values()).as("a mode changed without its content").anyMatch(e -> e.type().equals("file")
                    && first.containsKey(e.path()) && e.sha256().equals(first.get(e.path()).sha256())
                    && !e.mode().equals(first.get(e.path()).mode()));
            if (repo.layout().equals("chunked")) {
                // The config records the chunker's maximum: a file larger than it spans several chunks.
                byte[] config = Files.readAllBytes(repo.directory().resolve("config"));
                JsonNode json = Golden.JSON.readTree(Arrays.copyOf(config, config.length - 32));
                long max = json.get("chunker").get("max").asLong();
                assertThat(all).as("a file spanning several chunks").anyMatch(e -> e.type().equals("file") && e.size() > max);
            }
        }
    }

    /**
     * Every file of every version is listed with its SHA-256 in that version's SHA256SUMS, and nothing else is there:
     * fixtures that were edited, rewritten or added to by hand fail here. (The sums file itself can of course be
     * rewritten too; this catches accidents, the README states the rule.)
     */
    @Test
    void committed_fixtures_are_exactly_what_was_made() throws IOException {
        for (Path version : versions()) {
            Map<String, String> listed = new TreeMap<>();
            for (String line : Files.readAllLines(version.resolve("SHA256SUMS"), StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    listed.put(line.substring(66), line.substring(0, 64));
                }
            }
            Map<String, String> actual = new TreeMap<>();
            Set<String> ignored = new HashSet<>(List.of("SHA256SUMS"));
            try (Stream<Path> files = Files.walk(version)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String name = version.relativize(f).toString().replace('\\', '/');
                    if (!ignored.contains(name)) {
                        actual.put(name, Golden.sha256(f));
                    }
                }
            }
            assertThat(actual).as(version.getFileName() + ": the fixtures differ from SHA256SUMS").isEqualTo(listed);
        }
    }

    @Test
    void the_fixtures_stay_small() throws IOException {
        long total;
        try (Stream<Path> files = Files.walk(goldenRoot())) {
            total = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
        assertThat(total).as("bytes of golden fixtures").isLessThan(versions().size() * 512L * 1024);
    }
}
