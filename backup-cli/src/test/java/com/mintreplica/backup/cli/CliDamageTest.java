package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage stays local, through the CLI: a garbage manifest affects only its own snapshot; a pack cut in half fails
 * verify without reading data; {@code repair index} and {@code repair snapshots} bring back what can be saved after
 * index objects or a pack were deleted, and change nothing with {@code --dry-run}.
 */
@Timeout(120)
class CliDamageTest {
    @TempDir
    Path temp;
    Path repo;
    Path first;
    Path second;

    @BeforeEach
    void trees() throws Exception {
        repo = temp.resolve("repo");
        first = temp.resolve("first");
        second = temp.resolve("second");
        write(first.resolve("a.bin"), 3_000_000, 1);
        Files.writeString(first.resolve("notes.txt"), "first tree\n");
        write(second.resolve("c.bin"), 2_000_000, 3);
        ok("init", "--repo", repo.toString());
    }

    private static void write(Path file, int size, long seed) throws IOException {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    private static Cli.Result ok(String... args) {
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    private int backups;

    /** Backs up {@code tree}, a minute after the previous backup: snapshots taken within one second sort by chance. */
    private String backup(Path tree) {
        String time = java.time.Instant.parse("2026-11-24T01:00:00Z").plusSeconds(60L * backups++).toString();
        return ok("backup", "--repo", repo.toString(), tree.toString(), "--time", time).out().split(" ")[1];
    }

    private static Path restored(Path target, Path original) {
        return target.resolve(original.toString().substring(1));
    }

    /** Every file of the repository with its size and time: what a dry run must leave exactly as it was. */
    private Map<String, String> state() throws IOException {
        try (Stream<Path> files = Files.walk(repo)) {
            Map<String, String> out = new TreeMap<>();
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                out.put(repo.relativize(p).toString(), Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
            }
            return out;
        }
    }

    private Set<String> names(String directory) throws IOException {
        Path dir = repo.resolve(directory);
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).map(p -> repo.relativize(p).toString()).collect(Collectors.toSet());
        }
    }

    @Test
    void a_garbage_manifest_affects_only_its_own_snapshot() throws Exception {
        String one = backup(first);
        String two = backup(second);
        write(first.resolve("b.bin"), 1_000_000, 2);
        String three = backup(first);
        byte[] garbage = new byte[4096];
        new Random(9).nextBytes(garbage);
        Files.write(repo.resolve("snapshots").resolve(two), garbage);

        Cli.Result list = ok("list", "--repo", repo.toString());
        assertThat(list.out()).contains(one).contains(three).containsPattern(two + "\\s+DAMAGED: .*corrupt")
                .contains("2 snapshots, 1 damaged");
        assertThat(list.err()).contains("snapshot " + two + " cannot be read");

        JsonNode json = new ObjectMapper().readTree(ok("list", "--repo", repo.toString(), "--json").out());
        assertThat(json).hasSize(3);
        assertThat(json.get(0).get("id").asText()).isEqualTo(one);
        assertThat(json.get(0).get("damaged").asBoolean()).isFalse();
        assertThat(json.get(1).get("id").asText()).isEqualTo(two);
        assertThat(json.get(1).get("damaged").asBoolean()).isTrue();
        assertThat(json.get(1).get("problem").asText()).contains("snapshots/" + two).contains("corrupt");
        assertThat(json.get(2).get("id").asText()).isEqualTo(three);

        Path target = temp.resolve("restore-one");
        ok("restore", "--repo", repo.toString(), one, "--target", target.toString());
        assertThat(restored(target, first).resolve("a.bin")).hasSameBinaryContentAs(first.resolve("a.bin"));
        Path latest = temp.resolve("restore-latest");
        assertThat(ok("restore", "--repo", repo.toString(), "latest", "--target", latest.toString()).out()).contains(three);
        assertThat(restored(latest, first).resolve("b.bin")).hasSameBinaryContentAs(first.resolve("b.bin"));

        Cli.Result damaged = Cli.run("restore", "--repo", repo.toString(), two, "--target", temp.resolve("x").toString());
        assertThat(damaged.code()).as(damaged.toString()).isEqualTo(1);
        assertThat(damaged.err()).contains("snapshot " + two).contains("cannot be read").doesNotContain("\tat ");

        Cli.Result verify = Cli.run("verify", "--repo", repo.toString());
        assertThat(verify.code()).as(verify.toString()).isEqualTo(1);
        assertThat(verify.err()).contains("'snapshots/" + two + "' is corrupt").contains("affects snapshot " + two)
                .contains("verify found 1 problem");

        // Prune cannot know what a manifest it cannot read needs: it stops, and says how to go on.
        Cli.Result prune = Cli.run("prune", "--repo", repo.toString(), "--keep-last", "1");
        assertThat(prune.code()).as(prune.toString()).isEqualTo(1);
        assertThat(prune.err()).contains(two).contains("repair snapshots --forget");
        assertThat(names("snapshots")).hasSize(3);

        Map<String, String> before = state();
        assertThat(ok("repair", "snapshots", "--repo", repo.toString(), "--forget", "--dry-run").out())
                .contains("snapshot " + two + " cannot be read").contains("would remove it");
        assertThat(state()).isEqualTo(before);
        ok("repair", "snapshots", "--repo", repo.toString(), "--forget");
        assertThat(names("snapshots")).containsExactlyInAnyOrder("snapshots/" + one, "snapshots/" + three);
        assertThat(ok("verify", "--repo", repo.toString(), "--read-data").out()).contains("no problems found");
        ok("prune", "--repo", repo.toString(), "--keep-last", "1");
    }

    @Test
    void verify_without_read_data_finds_a_pack_cut_in_half_from_its_size() throws Exception {
        backup(first);
        assertThat(ok("verify", "--repo", repo.toString()).out()).contains("no problems found");
        String pack = names("data").iterator().next();
        Path file = repo.resolve(pack);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }

        Cli.Result verify = Cli.run("verify", "--repo", repo.toString());

        assertThat(verify.code()).as(verify.toString()).isEqualTo(1);
        assertThat(verify.err()).contains("pack '" + pack + "' is truncated").contains("affects snapshot");
    }

    @Test
    void repair_snapshots_goes_on_past_the_packs_of_a_killed_backup_that_no_snapshot_needs() throws Exception {
        // A backup killed after its packs were stored, before its index objects and snapshot: verify calls such packs
        // leftovers that prune removes. repair snapshots refused to run at all (exit 1, "run repair index first"),
        // although no snapshot lacks anything: the two commands advised differently about the same packs.
        String one = backup(first);
        Set<String> index = names("index");
        Set<String> snapshots = names("snapshots");
        backup(second);
        for (String name : names("index")) {
            if (!index.contains(name)) {
                Files.delete(repo.resolve(name));
            }
        }
        for (String name : names("snapshots")) {
            if (!snapshots.contains(name)) {
                Files.delete(repo.resolve(name));
            }
        }
        assertThat(ok("verify", "--repo", repo.toString()).out()).contains("no problems found");

        Map<String, String> before = state();
        assertThat(ok("repair", "snapshots", "--repo", repo.toString(), "--dry-run").out())
                .contains("1 snapshot intact, 0 to repair");
        assertThat(ok("repair", "snapshots", "--repo", repo.toString(), "--forget").out())
                .contains("1 snapshot intact, 0 repaired");
        assertThat(state()).isEqualTo(before);
        Path target = temp.resolve("restore");
        ok("restore", "--repo", repo.toString(), one, "--target", target.toString());
        assertThat(restored(target, first).resolve("a.bin")).hasSameBinaryContentAs(first.resolve("a.bin"));
    }

    @Test
    void repair_index_rebuilds_a_deleted_index_from_the_pack_headers() throws Exception {
        String one = backup(first);
        String two = backup(second);
        for (String index : names("index")) {
            Files.delete(repo.resolve(index));
        }
        Cli.Result broken = Cli.run("restore", "--repo", repo.toString(), one, "--target", temp.resolve("broken").toString());
        assertThat(broken.code()).as("without an index nothing restores: " + broken).isNotZero();

        Map<String, String> before = state();
        Cli.Result dry = ok("repair", "index", "--repo", repo.toString(), "--dry-run");
        assertThat(dry.out()).contains("would index data/").contains("dry run: nothing changed");
        assertThat(state()).isEqualTo(before);
        // Snapshots cannot be judged before the index knows every stored pack: nothing is dropped by mistake.
        Cli.Result early = Cli.run("repair", "snapshots", "--repo", repo.toString());
        assertThat(early.code()).as(early.toString()).isEqualTo(1);
        assertThat(early.err()).contains("in no index object").contains("repair index");
        assertThat(state()).isEqualTo(before);

        Cli.Result repaired = ok("repair", "index", "--repo", repo.toString());
        // Tree packs (the snapshots' directory listings) are indexed from their headers as data packs are.
        assertThat(names("tree")).isNotEmpty();
        assertThat(repaired.out()).contains((names("data").size() + names("tree").size()) + " packs in the new index")
                .contains("index tree/");
        assertThat(names("index")).isNotEmpty();
        assertThat(names("locks")).as("the exclusive lease is released").isEmpty();
        assertThat(ok("verify", "--repo", repo.toString(), "--read-data").out()).contains("no problems found");
        Path target = temp.resolve("restore");
        ok("restore", "--repo", repo.toString(), two, "--target", target.toString());
        assertThat(restored(target, second).resolve("c.bin")).hasSameBinaryContentAs(second.resolve("c.bin"));

        Map<String, String> repairedState = state();
        assertThat(ok("repair", "snapshots", "--repo", repo.toString()).out()).contains("2 snapshots intact, 0 repaired");
        assertThat(ok("repair", "index", "--repo", repo.toString()).out()).contains("nothing to repair");
        assertThat(state()).isEqualTo(repairedState);
    }

    @Test
    void repair_snapshots_saves_what_a_deleted_pack_left_beside_the_damaged_snapshot() throws Exception {
        String one = backup(first);
        Set<String> packsOfOne = names("data");
        write(first.resolve("b.bin"), 2_500_000, 2);
        String two = backup(first);
        List<String> packsOfTwo = new ArrayList<>(names("data"));
        packsOfTwo.removeAll(packsOfOne);
        assertThat(packsOfTwo).as("b.bin is new data: it went into new packs").isNotEmpty();
        for (String pack : packsOfTwo) {
            Files.delete(repo.resolve(pack));
        }
        Cli.Result verify = Cli.run("verify", "--repo", repo.toString());
        assertThat(verify.err()).contains("pack '" + packsOfTwo.get(0) + "' is missing").contains("affects snapshot " + two);

        Map<String, String> before = state();
        assertThat(ok("repair", "index", "--repo", repo.toString(), "--dry-run").out())
                .contains("would drop " + packsOfTwo.get(0)).contains("dry run: nothing changed");
        Cli.Result dry = ok("repair", "snapshots", "--repo", repo.toString(), "--dry-run");
        assertThat(dry.out()).contains("snapshot " + two + ": 1 entry lost").contains("lost  " + first.resolve("b.bin").toString().substring(1))
                .contains("(pack '" + packsOfTwo.get(0) + "'").contains("would write a new snapshot").contains("1 snapshot intact, 1 to repair");
        assertThat(state()).isEqualTo(before);

        assertThat(ok("repair", "index", "--repo", repo.toString()).out()).contains("drop " + packsOfTwo.get(0));
        Cli.Result repair = ok("repair", "snapshots", "--repo", repo.toString());
        String three = repair.out().replaceAll("(?s).*wrote snapshot (\\S+) .*", "$1");
        assertThat(repair.out()).contains("lost  " + first.resolve("b.bin").toString().substring(1))
                .contains("is in no index object").contains(two + " stays");
        assertThat(names("snapshots")).containsExactlyInAnyOrder("snapshots/" + one, "snapshots/" + two, "snapshots/" + three);
        assertThat(names("locks")).as("the exclusive lease is released").isEmpty();

        JsonNode json = new ObjectMapper().readTree(ok("list", "--repo", repo.toString(), "--json").out());
        JsonNode copy = null;
        for (JsonNode s : json) {
            copy = s.get("id").asText().equals(three) ? s : copy;
        }
        assertThat(copy).as("the repaired snapshot is listed").isNotNull();
        assertThat(copy.get("tags")).extracting(JsonNode::asText).contains("repaired");
        assertThat(copy.get("facts").get("repair.of").asText()).isEqualTo(two);
        assertThat(copy.get("warnings").get(0).get("message").asText()).contains("left out by `repair snapshots`");

        Path target = temp.resolve("restore");
        assertThat(ok("restore", "--repo", repo.toString(), "latest", "--target", target.toString()).out())
                .as("latest is the repaired copy, not the damaged original").contains(three);
        assertThat(restored(target, first).resolve("a.bin")).hasSameBinaryContentAs(first.resolve("a.bin"));
        assertThat(restored(target, first).resolve("notes.txt")).hasSameTextualContentAs(first.resolve("notes.txt"));
        assertThat(restored(target, first).resolve("b.bin")).doesNotExist();
        Cli.Result verifyCopy = ok("verify", "--repo", repo.toString(), three, "--read-data");
        assertThat(verifyCopy.out()).contains("no problems found");
    }

    @Test
    void a_blob_damaged_in_a_pack_is_left_out_of_the_index_and_the_next_backup_heals_every_snapshot() throws Exception {
        // A damaged blob stayed indexed: repair did nothing ("intact"), every later backup deduplicated against it
        // ("0 B new") and the file could be restored from none of the snapshots (found by exploratory testing).
        String one = backup(first);
        String pack = names("data").stream().filter(n -> {
            try {
                return Files.size(repo.resolve(n)) > 1_000_000;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).findFirst().orElseThrow();
        Path packFile = repo.resolve(pack);
        byte[] bytes = Files.readAllBytes(packFile);
        for (int i = 0; i < 4; i++) {
            bytes[bytes.length / 2 + i] ^= (byte) 0xff;
        }
        Files.write(packFile, bytes);
        Cli.Result verify = Cli.run("verify", "--repo", repo.toString(), "--read-data");
        assertThat(verify.code()).isEqualTo(1);
        assertThat(verify.err()).contains("affects snapshot " + one).contains("repair index --read-data");

        Cli.Result repair = ok("repair", "index", "--repo", repo.toString(), "--read-data");

        assertThat(repair.out()).contains("in pack " + pack).contains("left out of the index");
        String two = backup(first);
        assertThat(two).isNotEqualTo(one);
        Cli.Result healed = ok("verify", "--repo", repo.toString(), "--read-data");
        assertThat(healed.out()).contains("no problems found");
        for (String id : List.of(one, two)) {
            Path target = temp.resolve("restore-" + id);
            ok("restore", "--repo", repo.toString(), id, "--target", target.toString());
            assertThat(restored(target, first).resolve("a.bin")).as("a.bin of %s", id).hasSameBinaryContentAs(first.resolve("a.bin"));
        }
    }

    @Test
    void a_damaged_directory_listing_costs_that_directory_and_the_rest_is_restored() throws Exception {
        // One damaged tree blob made a restore write nothing at all (found by exploratory testing), where restic
        // restores everything else. Directories' trees are stored deepest first: the first one in the tree pack is a
        // leaf directory's, and a byte flipped near the pack's start damages it and nothing else.
        for (int i = 0; i < 4; i++) {
            Files.createDirectories(first.resolve("sub" + i));
            Files.writeString(first.resolve("sub" + i).resolve("x" + i + ".txt"), "in sub" + i + "\n");
        }
        String one = backup(first);
        List<String> packs = new ArrayList<>(names("tree"));
        assertThat(packs).hasSize(1);
        Path pack = repo.resolve(packs.get(0));
        byte[] bytes = Files.readAllBytes(pack);
        bytes[40] ^= (byte) 0xff;
        Files.write(pack, bytes);
        Path target = temp.resolve("restore");

        Cli.Result restore = Cli.run("restore", "--repo", repo.toString(), one, "--target", target.toString(), "--no-cache");

        assertThat(restore.code()).as(restore.toString()).isEqualTo(1);
        assertThat(restore.err()).contains("cannot be read").contains("every other entry was restored")
                .contains("repair snapshots").doesNotContain("Exception");
        assertThat(restored(target, first).resolve("a.bin")).hasSameBinaryContentAs(first.resolve("a.bin"));
        assertThat(restored(target, first).resolve("notes.txt")).hasSameTextualContentAs(first.resolve("notes.txt"));
        int whole = 0;
        for (int i = 0; i < 4; i++) {
            if (Files.exists(restored(target, first).resolve("sub" + i).resolve("x" + i + ".txt"))) {
                whole++;
            }
        }
        assertThat(whole).as("the directories whose listings are whole").isEqualTo(3);
    }

    @Test
    void blobs_a_lost_index_object_listed_are_one_problem_with_the_command_that_fixes_it() throws Exception {
        // It printed one line per blob (65 on a small repository), in two wordings, and never said what to run.
        for (int i = 0; i < 60; i++) {
            write(first.resolve("many").resolve("f" + i + ".bin"), 2000 + i, 100 + i);
        }
        backup(first);
        String largest = null;
        for (String index : names("index")) {
            if (largest == null || Files.size(repo.resolve(index)) > Files.size(repo.resolve(largest))) {
                largest = index;
            }
        }
        Files.delete(repo.resolve(largest));

        Cli.Result verify = Cli.run("verify", "--repo", repo.toString(), "--no-cache");

        assertThat(verify.code()).as(verify.toString()).isEqualTo(1);
        assertThat(verify.err()).contains("repair index");
        assertThat(verify.err().lines().count()).as(verify.err()).isLessThan(10);
        ok("repair", "index", "--repo", repo.toString());
        assertThat(ok("verify", "--repo", repo.toString(), "--read-data").out()).contains("no problems found");
    }
}
