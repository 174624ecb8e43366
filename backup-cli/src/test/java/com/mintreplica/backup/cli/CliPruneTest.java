package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots made with `backup --time`, then `prune`: exactly the expected snapshots remain, and each still restores. */
class CliPruneTest {
    @TempDir
    Path temp;
    Path data;
    Path repo;
    /** snapshot id -> the content of the data file when it was taken */
    final Map<String, byte[]> contentById = new LinkedHashMap<>();
    final Map<String, String> idByTime = new LinkedHashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        data = temp.resolve("data");
        Files.createDirectories(data);
        repo = temp.resolve("repo");
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
    }

    private void backupAt(String time, long seed) throws Exception {
        byte[] content = new byte[700_000];
        new Random(seed).nextBytes(content);
        Files.write(data.resolve("ledger.bin"), content);
        Cli.Result r = Cli.run("backup", "--repo", repo.toString(), "--time", time, data.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        String id = r.out().split(" ")[1];
        contentById.put(id, content);
        idByTime.put(time, id);
    }

    private List<String> listedIds() throws Exception {
        JsonNode list = new ObjectMapper().readTree(Cli.run("list", "--repo", repo.toString(), "--json").out());
        List<String> ids = new ArrayList<>();
        list.forEach(s -> ids.add(s.get("id").asText()));
        return ids;
    }

    @Test
    void prune_keeps_exactly_what_the_policy_keeps_and_every_remaining_snapshot_restores() throws Exception {
        String[] times = {"2026-10-30T01:00:00Z", "2026-10-31T01:00:00Z", "2026-11-01T01:00:00Z", "2026-11-02T01:00:00Z",
            "2026-11-03T01:00:00Z", "2026-11-04T01:00:00Z", "2026-11-05T01:00:00Z", "2026-11-05T13:00:00Z"};
        for (int i = 0; i < times.length; i++) {
            backupAt(times[i], i);
        }
        long sizeBefore = TestTrees.size(repo);

        Cli.Result dry = Cli.run("prune", "--repo", repo.toString(), "--keep-daily", "3", "--keep-monthly", "2", "--dry-run");
        assertThat(dry.code()).as(dry.toString()).isZero();
        assertThat(dry.out()).contains("would remove 4 snapshots").contains("dry run: nothing changed");
        assertThat(listedIds()).hasSize(times.length);

        Cli.Result prune = Cli.run("prune", "--repo", repo.toString(), "--keep-daily", "3", "--keep-monthly", "2", "--json");
        assertThat(prune.code()).as(prune.toString()).isZero();
        JsonNode report = new ObjectMapper().readTree(prune.out());
        // Daily: the newest of Nov 5 (13:00), Nov 4, Nov 3. Monthly: the newest of November (Nov 5 13:00) and of October.
        List<String> expected = List.of(idByTime.get("2026-10-31T01:00:00Z"), idByTime.get("2026-11-03T01:00:00Z"),
                idByTime.get("2026-11-04T01:00:00Z"), idByTime.get("2026-11-05T13:00:00Z"));
        assertThat(listedIds()).containsExactlyElementsOf(expected);
        JsonNode kept = report.get("groups").get(0).get("kept");
        assertThat(kept).hasSize(4);
        assertThat(kept.toString()).contains("daily").contains("monthly");
        assertThat(report.get("groups").get(0).get("removed")).hasSize(4);
        assertThat(report.get("bytesFreed").asLong()).isPositive();
        assertThat(TestTrees.size(repo)).isLessThan(sizeBefore);

        assertThat(Cli.run("verify", "--repo", repo.toString(), "--read-data").code()).isZero();
        for (String id : expected) {
            Path target = temp.resolve("restore-" + id);
            Cli.Result restore = Cli.run("restore", "--repo", repo.toString(), id, "--target", target.toString());
            assertThat(restore.code()).as(restore.toString()).isZero();
            assertThat(Files.readAllBytes(target.resolve(data.toString().substring(1)).resolve("ledger.bin")))
                    .as("content of %s", id).isEqualTo(contentById.get(id));
        }
    }

    @Test
    void forget_removes_exactly_the_snapshots_named_and_with_prune_the_data_only_they_used() throws Exception {
        // restic's forget ID: there was no way to remove one chosen snapshot (prune takes only policies)
        String[] times = {"2026-11-01T01:00:00Z", "2026-11-02T01:00:00Z", "2026-11-03T01:00:00Z", "2026-11-04T01:00:00Z"};
        for (int i = 0; i < times.length; i++) {
            backupAt(times[i], i);
        }
        List<String> ids = listedIds();
        String second = ids.get(1);
        String r = repo.toString();

        Cli.Result typo = Cli.run("forget", "--repo", r, second, "no-such-snapshot");
        assertThat(typo.code()).as(typo.toString()).isEqualTo(2);
        Cli.Result dry = Cli.run("forget", "--repo", r, "--dry-run", second.substring(0, 17), "latest");
        assertThat(dry.code()).as(dry.toString()).isZero();
        assertThat(dry.out()).contains("would remove snapshot " + second).contains("would remove snapshot " + ids.get(3));
        assertThat(listedIds()).as("a typo or a dry run removes nothing").isEqualTo(ids);

        Cli.Result forget = Cli.run("forget", "--repo", r, "--prune", second.substring(0, 17), "latest");

        assertThat(forget.code()).as(forget.toString()).isZero();
        assertThat(listedIds()).containsExactly(ids.get(0), ids.get(2));
        assertThat(forget.out()).contains("removed snapshot " + second).contains("pruned:").doesNotContain("freed 0 B");
        for (String id : listedIds()) {
            Path target = temp.resolve("restore-" + id);
            Cli.Result restore = Cli.run("restore", "--repo", r, id, "--target", target.toString());
            assertThat(restore.code()).as(restore.toString()).isZero();
            assertThat(Files.readAllBytes(target.resolve(data.toString().substring(1)).resolve("ledger.bin")))
                    .isEqualTo(contentById.get(id));
        }
        assertThat(Cli.run("verify", "--repo", r).code()).isZero();
    }

    @Test
    void packs_no_index_lists_are_kept_for_the_grace_period_said_so_and_deleted_at_once_when_asked() throws Exception {
        // A backup that failed for lack of space left its pack filling the disk; prune kept it for 24 hours saying
        // "freed 0 B", and every backup failed meanwhile (found by exploratory testing). The pack here is a copy of
        // a stored one under another name: no index lists it, as none lists a failed run's last packs.
        backupAt("2026-11-01T01:00:00Z", 1);
        Path pack;
        try (java.util.stream.Stream<Path> files = Files.walk(repo.resolve("data"))) {
            pack = files.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        String name = pack.getFileName().toString();
        char last = name.charAt(name.length() - 1);
        Path orphan = pack.resolveSibling(name.substring(0, name.length() - 1) + (last == '0' ? '1' : '0'));
        Files.copy(pack, orphan);
        String r = repo.toString();

        Cli.Result kept = Cli.run("prune", "--repo", r, "--keep-last", "10");
        assertThat(kept.code()).as(kept.toString()).isZero();
        assertThat(kept.out()).contains("kept 1 pack that no index lists").contains("--unindexed-grace 0");
        assertThat(orphan).exists();
        assertThat(Cli.run("prune", "--repo", r, "--keep-last", "10", "--unindexed-grace", "soon").code()).isEqualTo(2);

        Cli.Result now = Cli.run("prune", "--repo", r, "--keep-last", "10", "--unindexed-grace", "0");

        assertThat(now.code()).as(now.toString()).isZero();
        assertThat(orphan).doesNotExist();
        assertThat(pack).exists();
        assertThat(Cli.run("verify", "--repo", r, "--read-data").code()).isZero();
    }

    @Test
    void the_mint_replica_policy_keeps_thirty_days_and_a_year_of_months() throws Exception {
        // 60 daily snapshots ending 2026-11-24
        java.time.Instant end = java.time.Instant.parse("2026-11-24T01:00:00Z");
        for (int d = 59; d >= 0; d--) {
            backupAt(end.minus(java.time.Duration.ofDays(d)).toString(), 1000 + d);
        }
        Cli.Result prune = Cli.run("prune", "--repo", repo.toString(), "--keep-within-daily", "30d", "--keep-within-monthly", "1y");
        assertThat(prune.code()).as(prune.toString()).isZero();
        List<String> ids = listedIds();
        // 30 days back from the newest (Oct 25 .. Nov 24 = 31 days, within is inclusive of the boundary day) plus the
        // newest of September and of October (October's newest is inside the 30 days already).
        assertThat(ids).contains(idByTime.get("2026-09-30T01:00:00Z")).contains(idByTime.get(end.toString()));
        assertThat(ids).doesNotContain(idByTime.get("2026-09-29T01:00:00Z"), idByTime.get("2026-10-20T01:00:00Z"));
        assertThat(ids.size()).isBetween(31, 33);
    }

    @Test
    void an_empty_policy_is_refused() {
        Cli.Result r = Cli.run("prune", "--repo", repo.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no keep rule");
        Cli.Result bad = Cli.run("prune", "--repo", repo.toString(), "--keep-daily", "seven");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--keep-daily").contains("unlimited");
    }
}
