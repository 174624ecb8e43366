package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir
    Path temp;
    Path data;
    Path repo;

    @BeforeEach
    void sampleData() throws Exception {
        data = temp.resolve("data");
        Files.createDirectories(data.resolve("config"));
        Files.writeString(data.resolve("config/app.yaml"), "db: postgresql://db/mint\n");
        byte[] big = new byte[3_000_000];
        new java.util.Random(1).nextBytes(big);
        Files.write(data.resolve("ledger.bin"), big);
        repo = temp.resolve("repo");
    }

    private Cli.Result ok(String... args) {
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    private String backup(String... extra) {
        String[] args = Stream.concat(Stream.of("backup", "--repo", repo.toString(), data.toString()), Arrays.stream(extra))
                .toArray(String[]::new);
        String out = ok(args).out();
        return out.split(" ")[1];
    }

    private static Path restored(Path target, Path original) {
        return target.resolve(original.toString().substring(1));
    }

    @Test
    void init_backup_list_verify_restore_round_trip() throws Exception {
        assertThat(ok("init", "--repo", repo.toString()).out()).contains("created chunked repository");
        String id = backup("--tag", "daily");
        assertThat(ok("list", "--repo", repo.toString()).out()).contains(id).contains("daily").contains("fs:" + data);
        assertThat(ok("verify", "--repo", repo.toString(), "--read-data").out()).contains("no problems found");
        assertThat(ok("verify", "--repo", repo.toString(), "--read-data-subset", "1/2").out())
                .contains("no problems found").contains("(data subset 1/2)");
        assertUsageError(Cli.run("verify", "--repo", repo.toString(), "--read-data-subset", "3/2"), "1 <= n <= t");
        assertUsageError(Cli.run("verify", "--repo", repo.toString(), "--read-data-subset", "1/2", "--read-data"),
                "give one of the two");
        Path target = temp.resolve("restore");
        assertThat(ok("restore", "--repo", repo.toString(), "latest", "--target", target.toString()).out()).contains("restored snapshot " + id);
        assertThat(restored(target, data).resolve("ledger.bin")).hasSameBinaryContentAs(data.resolve("ledger.bin"));
        assertThat(restored(target, data).resolve("config/app.yaml")).hasSameTextualContentAs(data.resolve("config/app.yaml"));
    }

    @Test
    void list_json_gives_id_time_tags_source_entries_and_bytes() throws Exception {
        ok("init", "--repo", repo.toString());
        String id = backup("--tag", "a", "--tag", "b", "--time", "2026-11-24T01:00:00Z");
        JsonNode list = new ObjectMapper().readTree(ok("list", "--repo", repo.toString(), "--json").out());
        assertThat(list.isArray()).isTrue();
        JsonNode s = list.get(0);
        assertThat(s.get("id").asText()).isEqualTo(id);
        assertThat(s.get("time").asText()).isEqualTo("2026-11-24T01:00:00Z");
        assertThat(s.get("tags")).extracting(JsonNode::asText).containsExactly("a", "b");
        assertThat(s.get("source").get("kind").asText()).isEqualTo("fs");
        assertThat(s.get("source").get("name").asText()).isEqualTo(data.toString());
        assertThat(s.get("entries").asLong()).isEqualTo(4 + data.getNameCount() - 1);
        assertThat(s.get("bytes").asLong()).isEqualTo(3_000_000 + Files.size(data.resolve("config/app.yaml")));
    }

    @Test
    void init_with_q_prints_nothing() {
        // -q is "only errors and requested output"; init still said what it created
        Cli.Result quiet = ok("-q", "init", "--repo", repo.toString());
        assertThat(quiet.out()).isEmpty();
        assertThat(ok("list", "--repo", repo.toString()).code()).isZero();
    }

    @Test
    void the_repository_can_come_from_the_environment() {
        Map<String, String> env = Map.of("MINT_BACKUP_REPOSITORY", repo.toString());
        assertThat(Cli.run(env, "init").code()).isZero();
        assertThat(Cli.run(env, "backup", data.toString()).code()).isZero();
        assertThat(Cli.run(env, "list").out()).contains("1 snapshot");
    }

    @Test
    void the_single_object_layout_stores_one_standard_zstd_file_per_entry() throws Exception {
        ok("init", "--repo", repo.toString(), "--layout", "single");
        backup();
        try (Stream<Path> files = Files.walk(repo.resolve("files"))) {
            List<Path> objects = files.filter(Files::isRegularFile).toList();
            assertThat(objects).extracting(p -> p.getFileName().toString()).contains("ledger.bin.zst", "app.yaml.zst");
            Path ledger = objects.stream().filter(p -> p.getFileName().toString().equals("ledger.bin.zst")).findFirst().orElseThrow();
            Process zstd = new ProcessBuilder("zstd", "-d", "-c", ledger.toString()).start();
            byte[] decoded = zstd.getInputStream().readAllBytes();
            assertThat(zstd.waitFor()).isZero();
            assertThat(decoded).isEqualTo(Files.readAllBytes(data.resolve("ledger.bin")));
        }
        Path target = temp.resolve("restore");
        ok("restore", "--repo", repo.toString(), "latest", "--target", target.toString());
        assertThat(restored(target, data).resolve("ledger.bin")).hasSameBinaryContentAs(data.resolve("ledger.bin"));
    }

    @Test
    void cat_writes_one_entry_to_standard_output() throws Exception {
        ok("init", "--repo", repo.toString());
        String id = backup();
        String entry = data.resolve("config/app.yaml").toString();
        assertThat(ok("cat", "--repo", repo.toString(), id, entry).out()).isEqualTo("db: postgresql://db/mint\n");
    }

    @Test
    void diff_names_what_changed_between_two_snapshots() throws Exception {
        ok("init", "--repo", repo.toString());
        String first = backup();
        Files.writeString(data.resolve("config/app.yaml"), "changed: true\n");
        Files.writeString(data.resolve("new.txt"), "new\n");
        Files.setPosixFilePermissions(data.resolve("ledger.bin"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String second = backup();
        Cli.Result diff = ok("diff", "--repo", repo.toString(), first, second);
        assertThat(diff.out()).contains("M    " + data.resolve("config/app.yaml")).contains("+    " + data.resolve("new.txt"))
                .doesNotContain("ledger.bin").contains("1 added, 0 removed");
        assertThat(ok("diff", "--repo", repo.toString(), "--metadata", first, second).out())
                .contains("U    " + data.resolve("ledger.bin"));
        assertThat(ok("diff", "--repo", repo.toString(), second, first).out()).contains("-    " + data.resolve("new.txt"));
    }

    @Test
    void restore_include_and_mirror() throws Exception {
        ok("init", "--repo", repo.toString());
        backup();
        Path target = temp.resolve("restore");
        String include = data.resolve("config").toString();
        ok("restore", "--repo", repo.toString(), "latest", "--target", target.toString(), "--include", include);
        assertThat(restored(target, data).resolve("config/app.yaml")).exists();
        assertThat(restored(target, data).resolve("ledger.bin")).doesNotExist();
        Files.writeString(restored(target, data).resolve("stray.txt"), "not in the snapshot");
        Cli.Result dry = ok("restore", "--repo", repo.toString(), "latest", "--target", target.toString(), "--mirror",
                "--dry-run");
        assertThat(dry.out()).contains("would delete " + restored(target, data).resolve("stray.txt"))
                .contains("and delete 1 not in the snapshot; nothing was changed");
        assertThat(restored(target, data).resolve("stray.txt")).as("the dry run changed nothing").exists();
        assertThat(restored(target, data).resolve("ledger.bin")).doesNotExist();
        ok("restore", "--repo", repo.toString(), "latest", "--target", target.toString(), "--mirror");
        assertThat(restored(target, data).resolve("stray.txt")).doesNotExist();
        assertThat(restored(target, data).resolve("ledger.bin")).exists();

        // --exclude leaves entries out, and a mirror leaves what it matches alone
        Files.writeString(restored(target, data).resolve("ledger.bin"), "edited, and excluded from this restore");
        Files.writeString(restored(target, data).resolve("config/app.yaml"), "edited");
        ok("restore", "--repo", repo.toString(), "latest", "--target", target.toString(), "--mirror", "--exclude", "*.bin");
        assertThat(restored(target, data).resolve("ledger.bin")).hasContent("edited, and excluded from this restore");
        assertThat(restored(target, data).resolve("config/app.yaml")).hasSameTextualContentAs(data.resolve("config/app.yaml"));
    }

    // ---- errors: a clear message, exit 2, no stack trace

    private static void assertUsageError(Cli.Result r, String... messageParts) {
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).as(r.toString()).contains(messageParts).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void a_missing_repository_is_a_usage_error() {
        assertUsageError(Cli.run("list", "--repo", temp.resolve("nothing-here").toString()),
                "no repository at", "nothing-here", "mint-backup init");
    }

    @Test
    void a_repository_of_a_newer_format_is_a_usage_error() throws Exception {
        ok("init", "--repo", repo.toString());
        Path config = repo.resolve("config");
        byte[] sealed = Files.readAllBytes(config);
        String json = new String(sealed, 0, sealed.length - 32, StandardCharsets.UTF_8).replace("\"version\" : 2", "\"version\" : 3");
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(payload);
        byte[] resealed = Arrays.copyOf(payload, payload.length + 32);
        System.arraycopy(hash, 0, resealed, payload.length, 32);
        Files.write(config, resealed);
        assertUsageError(Cli.run("list", "--repo", repo.toString()), "format version 3", "upgrade mint-backup");
    }

    @Test
    void an_unreadable_source_path_is_a_usage_error() {
        ok("init", "--repo", repo.toString());
        assertUsageError(Cli.run("backup", "--repo", repo.toString(), temp.resolve("no-such-dir").toString()),
                "no-such-dir", "no such file or directory");
        assertThat(Cli.run("list", "--repo", repo.toString()).out()).contains("no snapshots");
    }

    @Test
    void an_unknown_snapshot_id_is_a_usage_error() {
        ok("init", "--repo", repo.toString());
        backup();
        assertUsageError(Cli.run("restore", "--repo", repo.toString(), "19990101-000000-deadbeef", "--target", temp.resolve("t").toString()),
                "no snapshot '19990101-000000-deadbeef'", "mint-backup list");
        assertUsageError(Cli.run("cat", "--repo", repo.toString(), "nope", "x"), "no snapshot 'nope'");
    }

    @Test
    void bad_usage_exits_2_and_a_bad_time_says_what_is_expected() {
        ok("init", "--repo", repo.toString());
        assertUsageError(Cli.run("backup", "--repo", repo.toString(), "--frobnicate", data.toString()), "Unknown option", "--frobnicate");
        assertUsageError(Cli.run("backup", "--repo", repo.toString(), "--time", "yesterday", data.toString()),
                "'yesterday' is not an ISO-8601 time");
    }

    /**
     * A restic user's {@code forget --keep-last 1 --prune} was told "Unknown option: '--keep-last'" and "Possible
     * solutions: --key"; it now says that a policy is prune's, and nothing is removed.
     */
    @Test
    void a_retention_policy_given_to_forget_points_to_prune() {
        ok("init", "--repo", repo.toString());
        backup();
        Cli.Result r = Cli.run("forget", "--repo", repo.toString(), "--keep-last", "1", "--prune");
        assertUsageError(r, "Unknown option: '--keep-last'", "a policy such as --keep-last is `mint-backup prune`'s");
        assertThat(r.err()).doesNotContain("Possible solutions");
        assertUsageError(Cli.run("forget", "--repo", repo.toString(), "--keep-daily=7", "latest"),
                "a policy such as --keep-daily is `mint-backup prune`'s");
        assertThat(ok("list", "--repo", repo.toString()).out()).contains("1 snapshot");
    }

    @Test
    void debug_shows_the_stack_trace() {
        Cli.Result r = Cli.run("list", "--debug", "--repo", temp.resolve("nothing-here").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("\tat ");
    }

    // ---- corruption: every stored object

    @Test
    void one_flipped_byte_in_any_stored_object_fails_verify_naming_it_and_restore_refuses() throws Exception {
        for (String layout : List.of("chunked", "single")) {
            Path r = temp.resolve("repo-" + layout);
            ok("init", "--repo", r.toString(), "--layout", layout);
            String id = ok("backup", "--repo", r.toString(), data.toString()).out().split(" ")[1];
            List<Path> objects;
            try (Stream<Path> files = Files.walk(r)) {
                objects = files.filter(Files::isRegularFile).sorted().toList();
            }
            assertThat(objects).hasSizeGreaterThanOrEqualTo(3);
            for (Path object : objects) {
                String name = r.relativize(object).toString();
                byte[] original = Files.readAllBytes(object);
                byte[] damaged = original.clone();
                damaged[damaged.length / 2] ^= 0x01;
                Files.write(object, damaged);
                try {
                    Cli.Result verify = Cli.run("verify", "--repo", r.toString(), "--read-data");
                    assertThat(verify.code()).as(layout + " " + name + "\n" + verify).isEqualTo(1);
                    assertThat(verify.err()).as(layout + " " + name).contains(name);
                    if (!name.equals("config")) {
                        assertThat(verify.err()).as(layout + " " + name + " names the snapshot").contains(id);
                    }
                    Path target = temp.resolve("restore-" + layout + "-" + name.replace('/', '_'));
                    Cli.Result restore = Cli.run("restore", "--repo", r.toString(), id, "--target", target.toString());
                    assertThat(restore.code()).as(layout + " " + name + "\n" + restore).isEqualTo(1);
                    assertThat(restore.err()).doesNotContain("\tat ");
                    Path ledger = restored(target, data).resolve("ledger.bin");
                    if (Files.exists(ledger)) {
                        // an undamaged file may be restored before the damaged one is reached; never a damaged one
                        assertThat(ledger).hasSameBinaryContentAs(data.resolve("ledger.bin"));
                    }
                } finally {
                    Files.write(object, original);
                }
            }
            assertThat(Cli.run("verify", "--repo", r.toString(), "--read-data").code()).isZero();
        }
    }
}
