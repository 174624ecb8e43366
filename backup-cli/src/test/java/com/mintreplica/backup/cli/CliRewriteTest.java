package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mint-backup find}, {@code rewrite} and {@code tag}: which snapshots hold a file, the file erased from every
 * snapshot (and with --prune from the stored bytes), and a legal hold on what is left.
 */
class CliRewriteTest {
    private static final String SECRET = "id-card scan of customer 88123, IBAN DE02120300000000202051";

    @TempDir
    Path temp;

    private static Cli.Result ok(String... args) {
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    private boolean stored(Path repo, String text) throws Exception {
        try (Stream<Path> files = Files.walk(repo)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                if (new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains(text)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void rewrite_forget_prune_erases_a_customers_file_from_every_snapshot_and_the_repository() throws Exception {
        Path data = temp.resolve("uploads");
        Files.createDirectories(data.resolve("customer-88123"));
        Files.createDirectories(data.resolve("customer-90001"));
        Files.writeString(data.resolve("customer-88123/id-card.txt"), SECRET);
        Files.writeString(data.resolve("customer-90001/id-card.txt"), "another customer's card");
        Path repo = temp.resolve("repo");
        ok("init", "--repo", repo.toString(), "--compression", "none");
        ok("backup", "--repo", repo.toString(), data.toString());
        Files.writeString(data.resolve("customer-90001/statement.txt"), "statement");
        ok("backup", "--repo", repo.toString(), data.toString());
        assertThat(stored(repo, SECRET)).isTrue();

        Cli.Result found = ok("find", "--repo", repo.toString(), "id-card.txt");
        assertThat(found.out()).contains(data.toString().substring(1) + "/customer-88123/id-card.txt")
                .contains("4 entries found in 2 of 2 snapshots");
        assertThat(ok("find", "--repo", repo.toString(), "statement.txt", "--json").out()).contains("\"snapshot\"")
                .contains("customer-90001/statement.txt");

        Cli.Result bad = Cli.run("rewrite", "--repo", repo.toString(), "--exclude", "customer-88123", "--prune");
        assertThat(bad.code()).as(bad.toString()).isEqualTo(MintBackup.USAGE);
        assertThat(bad.err()).contains("--forget");

        Cli.Result dry = ok("rewrite", "--repo", repo.toString(), "--exclude", "customer-88123", "--dry-run", "--forget");
        assertThat(dry.out()).contains("1 entry left out:").contains("-  " + data.toString().substring(1) + "/customer-88123")
                .contains("would remove").contains("2 snapshots to rewrite, 0 unchanged (dry run: nothing changed)");

        Cli.Result done = ok("rewrite", "--repo", repo.toString(), "--exclude", "customer-88123", "--forget", "--prune");
        assertThat(done.out()).contains("2 snapshots rewritten, 0 unchanged").contains("pruned: ");
        assertThat(stored(repo, SECRET)).as("the bytes after rewrite --forget --prune").isFalse();
        assertThat(stored(repo, "customer-88123")).as("the name").isFalse();

        Path target = temp.resolve("restored");
        ok("restore", "--repo", repo.toString(), "latest", "--target", target.toString());
        Path root = target.resolve(data.toString().substring(1));
        assertThat(root.resolve("customer-88123")).doesNotExist();
        assertThat(root.resolve("customer-90001/statement.txt")).hasContent("statement");
        assertThat(ok("verify", "--repo", repo.toString(), "--read-data").out()).contains("no problems found");
        assertThat(ok("list", "--repo", repo.toString()).out()).contains("2 snapshots");
        assertThat(ok("find", "--repo", repo.toString(), "customer-88123").out()).contains("0 entries found in 0 of 2");

        // a legal hold on the newest, after the fact; prune --keep-tag keeps it
        Cli.Result hold = ok("tag", "--repo", repo.toString(), "--add", "hold", "latest");
        assertThat(hold.out()).contains("is now ").contains("tagged hold");
        assertThat(ok("list", "--repo", repo.toString(), "--tag", "hold").out()).contains("1 snapshot");
        Cli.Result again = ok("tag", "--repo", repo.toString(), "--add", "hold", "latest");
        assertThat(again.out()).contains("its tags are as asked already");
        // -q: nothing but errors (forget printed its lines and its hint anyway: explorers' D-9)
        String newest = ok("list", "--repo", repo.toString(), "--json").out().replaceAll("(?s).*\"id\" : \"([^\"]+)\".*", "$1");
        assertThat(ok("forget", "--repo", repo.toString(), "-q", newest, "--prune").out()).isEmpty();
        assertThat(ok("list", "--repo", repo.toString()).out()).contains("1 snapshot").doesNotContain(newest);
        Cli.Result nothing = Cli.run("tag", "--repo", repo.toString(), "latest");
        assertThat(nothing.code()).isEqualTo(MintBackup.USAGE);
        assertThat(nothing.err()).contains("--add, --remove or --set");
    }
}
