package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.gpg.GnuPG;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Encrypted repositories written by the mint-backup before write-only keys (test resources, see their README) keep
 * opening, listing, verifying and restoring unchanged; and a writer key exported from one backs up into it, while
 * the old snapshot stays trusted.
 */
@Timeout(300)
class OldEncryptedRepositoryTest {
    @TempDir
    Path temp;

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(OldEncryptedRepositoryTest.class.getResource("/old-encrypted/" + name).toURI());
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private String[] reader(String... args) throws Exception {
        Path passphrase = temp.resolve("passphrase");
        Files.writeString(passphrase, GnuPG.PASSPHRASE + "\n");
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(List.of("--key", fixture("fixture-secret.asc").toString(), "--passphrase-file", passphrase.toString()));
        return all.toArray(String[]::new);
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    private Path restoredFile(Path target, String name) throws Exception {
        try (Stream<Path> files = Files.walk(target)) {
            return files.filter(f -> f.getFileName().toString().equals(name)).findFirst().orElseThrow();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chunked", "single"})
    void an_old_encrypted_repository_opens_restores_and_takes_a_writer(String layout) throws Exception {
        Path repo = temp.resolve("repo");
        copy(fixture("repo-" + layout), repo);
        String list = ok(Cli.run(reader("list", "--repo", repo.toString()))).out();
        assertThat(list).contains("20260105-010000").contains("1 snapshot");
        assertThat(ok(Cli.run(reader("verify", "--repo", repo.toString(), "--read-data"))).out()).contains("no problems found");
        Path target = temp.resolve("restore");
        ok(Cli.run(reader("restore", "--repo", repo.toString(), "latest", "--target", target.toString())));
        assertThat(restoredFile(target, "ledger.bin")).hasSameBinaryContentAs(fixture("ledger.bin"));
        assertThat(restoredFile(target, "app.yaml")).hasSameBinaryContentAs(fixture("app.yaml"));

        // a writer exported from it backs up into it (deduplicating against the old data), the old snapshot stays
        Path writerKey = temp.resolve("app1.key");
        ok(Cli.run(reader("key", "writer", "export", "--repo", repo.toString(), "--name", "app1", "--out", writerKey.toString())));
        Path data = temp.resolve("data/etc/mint");
        Files.createDirectories(data);
        Files.copy(fixture("ledger.bin"), data.resolve("ledger.bin"));
        Files.writeString(data.resolve("new.txt"), "written by a writer\n");
        Cli.Result backup = ok(Cli.run(Map.of("XDG_CACHE_HOME", temp.resolve("cache").toString()), "backup", "--repo",
                repo.toString(), "--writer-key", writerKey.toString(), "--json", data.toString()));
        if (layout.equals("chunked")) {
            assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(backup.out()).get("bytesNew").asLong())
                    .as("the old ledger is not stored again").isLessThan(1000);
        }
        String after = ok(Cli.run(reader("list", "--repo", repo.toString()))).out();
        assertThat(after).contains("2 snapshots").doesNotContain("NOT TRUSTED");
        assertThat(ok(Cli.run(reader("verify", "--repo", repo.toString(), "--read-data"))).out()).contains("no problems found");
        Path again = temp.resolve("restore-old");
        ok(Cli.run(reader("restore", "--repo", repo.toString(), "20260105-010000", "--target", again.toString())));
        assertThat(restoredFile(again, "ledger.bin")).hasSameBinaryContentAs(fixture("ledger.bin"));
        Path latest = temp.resolve("restore-new");
        ok(Cli.run(reader("restore", "--repo", repo.toString(), "latest", "--target", latest.toString())));
        assertThat(restoredFile(latest, "new.txt")).hasContent("written by a writer");
    }
}
