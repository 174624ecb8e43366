package com.mintreplica.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Makes the committed fixtures of the writers addition (format.md section 14), once, by hand: each encrypted golden
 * version-1 repository after it gained writers. Per repository: writer {@code app1} backs up a small tree twice (it
 * changes in between), writer {@code app2} backs it up once and is then revoked (what it wrote before stays trusted).
 * The writer key files are kept beside the repositories, and {@code expected.json} records each writer snapshot's
 * files with their SHA-256. {@link WriterFixturesTest} keeps them opening, restoring and taking backups.
 *
 * <p>Usage (from the repository root, after {@code golden/make.sh}'s test-compile and classpath steps):
 * {@code java -cp ... com.mintreplica.backup.cli.MakeWriterFixtures backup-cli/src/test/resources/writers-v1}
 */
public final class MakeWriterFixtures {
    /** Where the backed-up tree lives while the fixtures are made; its path is part of every entry path. */
    static final Path DATA = Path.of("/tmp/mint-backup-writers-fixture/data");

    private MakeWriterFixtures() {
    }

    static void ok(Cli.Result r) {
        if (r.code() != 0) {
            throw new IllegalStateException(r.toString());
        }
    }

    static String[] with(List<String> extra, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(extra);
        return all.toArray(String[]::new);
    }

    static Map<String, String> files(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(f).toString(), Golden.sha256(f));
            }
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]).toAbsolutePath();
        if (Files.exists(out)) {
            System.err.println(out + " exists: fixtures are made once and never rewritten");
            System.exit(2);
        }
        Path work = DATA.getParent();
        if (Files.exists(work)) {
            throw new IllegalStateException(work + " exists: remove it first");
        }
        Path golden = GoldenRepositoryTest.goldenRoot().resolve("v1");
        ObjectNode expected = Golden.JSON.createObjectNode();
        expected.put("golden", "v1");
        expected.put("root", DATA.toString());
        ArrayNode repos = expected.putArray("repositories");
        for (Golden.Repo repo : Golden.load(golden).stream().filter(Golden.Repo::encrypted).toList()) {
            Path copy = out.resolve("repositories").resolve(repo.name());
            Golden.copyTree(repo.directory(), copy);
            String r = copy.toString();
            Files.createDirectories(out.resolve("keys"));
            Path app1 = out.resolve("keys").resolve(repo.name() + "-app1.key");
            Path app2 = out.resolve("keys").resolve(repo.name() + "-app2.key");
            ok(Cli.run(with(repo.keyArgs(), "key", "writer", "export", "--repo", r, "--name", "app1", "--out", app1.toString())));
            ok(Cli.run(with(repo.keyArgs(), "key", "writer", "export", "--repo", r, "--name", "app2", "--out", app2.toString())));

            ObjectNode node = repos.addObject();
            node.put("name", repo.name());
            node.put("path", "repositories/" + repo.name());
            ArrayNode snapshots = node.putArray("writerSnapshots");
            String[][] runs = {{"app1", "2026-02-01T10:00:00Z"}, {"app1", "2026-02-02T10:00:00Z"}, {"app2", "2026-02-03T10:00:00Z"}};
            for (int i = 0; i < runs.length; i++) {
                makeTree(i);
                Path key = runs[i][0].equals("app1") ? app1 : app2;
                Cli.Result backup = Cli.run(Map.of("XDG_CACHE_HOME", work.resolve("cache-" + repo.name()).toString()),
                        "backup", "--repo", r, "--writer-key", key.toString(), "--time", runs[i][1], "--json", DATA.toString());
                ok(backup);
                ObjectNode s = snapshots.addObject();
                s.put("id", Golden.JSON.readTree(backup.out()).get("id").asText());
                s.put("writer", runs[i][0]);
                ObjectNode files = s.putObject("files");
                files(DATA).forEach(files::put);
            }
            ok(Cli.run(with(repo.keyArgs(), "key", "writer", "revoke", "--repo", r, "app2")));
        }
        Files.writeString(out.resolve("expected.json"), Golden.JSON.writeValueAsString(expected) + "\n");
        StringBuilder sums = new StringBuilder();
        files(out).forEach((name, sum) -> sums.append(sum).append("  ").append(name).append('\n'));
        Files.writeString(out.resolve("SHA256SUMS"), sums.toString());
        System.out.println("made " + out);
    }

    /** The tree of run {@code i}: the same large file each time, a config that changes, a file added in run 2. */
    static void makeTree(int i) throws Exception {
        Files.createDirectories(DATA.resolve("etc/app"));
        Files.createDirectories(DATA.resolve("var/data"));
        byte[] ledger = new byte[24_000];
        new Random(42).nextBytes(ledger);
        Files.write(DATA.resolve("var/data/ledger.bin"), ledger);
        Files.writeString(DATA.resolve("etc/app/config.yaml"), "listen: 8080\nrun: " + Math.min(i, 1) + "\n",
                StandardCharsets.UTF_8);
        if (i == 2) {
            Files.writeString(DATA.resolve("var/data/written-by-app2.txt"), "app2\n", StandardCharsets.UTF_8);
        }
    }

    static JsonNode load(Path dir) throws Exception {
        return Golden.JSON.readTree(dir.resolve("expected.json").toFile());
    }
}
