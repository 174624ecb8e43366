package com.mintreplica.backup.core;

import static com.mintreplica.backup.core.PruneFixture.backup;
import static com.mintreplica.backup.core.PruneFixture.count;
import static com.mintreplica.backup.core.PruneFixture.files;
import static com.mintreplica.backup.core.PruneFixture.ids;
import static com.mintreplica.backup.core.PruneFixture.objects;
import static com.mintreplica.backup.core.PruneFixture.restore;
import static com.mintreplica.backup.core.PruneFixture.smallSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.retention.GroupBy;
import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.retention.RetentionDecision;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prune over a real directory: what it removes, what it keeps, and the order it changes things in. */
class PruneTest {
    @TempDir
    Path dir;
    LocalDirectorySink sink;
    Repository repo;
    List<Snapshot> taken;

    @BeforeEach
    void sixDailySnapshots() {
        sink = new LocalDirectorySink(dir.resolve("repo"), false);
        repo = Repository.init(sink, smallSettings());
        taken = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            taken.add(backup(repo, i));
        }
    }

    static Retention keepLast(int n) {
        return Retention.builder().keepLast(n).build();
    }

    static long total(Map<String, Long> objects) {
        return objects.values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void prune_removes_the_snapshots_the_policy_drops_and_every_byte_only_they_used() {
        long before = total(objects(sink));

        PruneReport report = repo.prune().policy(keepLast(3)).maxUnused(0).run();

        assertThat(ids(repo.snapshots())).containsExactlyElementsOf(ids(taken.subList(3, 6)));
        assertThat(ids(report.removed())).containsExactly(taken.get(2).id(), taken.get(1).id(), taken.get(0).id());
        assertThat(report.groups()).singleElement().satisfies(g -> {
            assertThat(g.description()).isEqualTo("host=host source=map:test");
            assertThat(g.kept()).extracting(k -> k.snapshot().id()).containsExactly(taken.get(5).id(),
                    taken.get(4).id(), taken.get(3).id());
            assertThat(g.kept()).allSatisfy(k -> assertThat(k.reasons()).containsExactly("last snapshot"));
        });
        assertThat(report.packsDeleted()).isPositive();
        assertThat(report.packsRepacked()).isPositive();
        assertThat(report.bytesFreed()).isPositive().isEqualTo(before - total(objects(sink)));
        VerifyReport verify = repo.verify(true);
        assertThat(verify.problems()).isEmpty();
        assertThat(verify.unreferencedPacks()).isZero();
        for (int i = 4; i <= 6; i++) {
            Map<String, byte[]> restored = restore(repo, taken.get(i - 1));
            files(i).forEach((path, content) -> assertThat(restored.get(path)).isEqualTo(content));
        }
        // nothing unused is left, and the index is one object
        PruneReport again = repo.prune().maxUnused(0).dryRun(true).run();
        assertThat(again.packsDeleted() + again.packsRepacked() + again.unindexedPacksDeleted()).isZero();
        assertThat(again.unusedBytesLeft()).isZero();
        assertThat(count(sink, "index/")).isEqualTo(1);
    }

    @Test
    void a_dry_run_changes_nothing_and_predicts_what_the_real_run_removes() {
        Map<String, Long> before = objects(sink);

        PruneReport dry = repo.prune().policy(keepLast(2)).dryRun(true).run();

        assertThat(objects(sink)).isEqualTo(before);
        assertThat(dry.dryRun()).isTrue();
        PruneReport real = repo.prune().policy(keepLast(2)).run();
        assertThat(ids(dry.removed())).isEqualTo(ids(real.removed())).hasSize(4);
        assertThat(dry.packsDeleted()).isEqualTo(real.packsDeleted());
        assertThat(dry.packsRepacked()).isEqualTo(real.packsRepacked());
        assertThat(dry.bytesDeleted()).isEqualTo(real.bytesDeleted());
        assertThat(dry.unusedBytesLeft()).isEqualTo(real.unusedBytesLeft());
    }

    @Test
    void once_the_index_is_consolidated_a_dry_run_says_no_index_object_would_be_written() {
        // More blobs than one consolidated index object holds (PruneRun cuts objects at 32,768 blobs): the index is
        // then several objects, and a dry run that counted any index of more than one object as to be rewritten
        // reported that work on every run after. It names the objects as the real run does instead.
        Repository many = smallFiles("many", 256 * 1024, 40_000, "file ");
        PruneReport dry = many.prune().policy(keepLast(10)).dryRun(true).run();
        PruneReport real = many.prune().policy(keepLast(10)).run();
        assertThat(real.indexObjectsWritten()).isEqualTo(2);
        assertThat(dry.indexObjectsWritten()).isEqualTo(real.indexObjectsWritten());
        assertThat(dry.indexObjectsDeleted()).isEqualTo(real.indexObjectsDeleted());
        assertThat(count(sink(dir.resolve("many")), "index/")).isEqualTo(2);
        PruneReport after = many.prune().policy(keepLast(10)).dryRun(true).run();
        assertThat(after.indexObjectsWritten() + after.indexObjectsDeleted()).isZero();
        assertThat(many.prune().policy(keepLast(10)).run().indexObjectsWritten()).isZero();
    }

    @Test
    void a_backup_of_many_small_files_writes_index_objects_of_bounded_size() {
        // A backup's checkpoints end at prune's cut of index objects (32,768 blobs, and the pack that crosses it),
        // the size `verify` reads in a small heap; they were cut at 65,536 (here: 36,541 blobs at most, 72,699 before).
        Repository many = smallFiles("checkpoints", 1024 * 1024, 80_000, "small file ");
        int most = 0;
        int total = 0;
        for (String index : objects(sink(dir.resolve("checkpoints"))).keySet().stream()
                .filter(n -> n.startsWith("index/")).toList()) {
            int blobs = 0;
            for (com.mintreplica.backup.core.internal.IndexFile.PackBlobs p
                    : com.mintreplica.backup.core.internal.IndexFile.parse(index, many.store().readMetadata(index))) {
                blobs += p.blobs().size();
            }
            most = Math.max(most, blobs);
            total += blobs;
        }
        assertThat(total).isGreaterThanOrEqualTo(80_000);
        assertThat(most).isLessThanOrEqualTo(50_000);
    }

    @Test
    void a_pack_that_arrives_damaged_while_it_is_repacked_is_read_again_and_the_prune_goes_on() throws Exception {
        // A byte flipped in transit (a faulty proxy) stopped the prune and called an intact pack corrupt: every other
        // reader reads a damaged answer again. The same bad bytes twice are damage in the store, and still stop it.
        AtomicInteger flipped = new AtomicInteger();
        Sink flaky = new ForwardingSink(sink) {
            @Override
            public InputStream get(String name) throws IOException {
                InputStream in = super.get(name);
                if (!name.startsWith("data/") || flipped.incrementAndGet() != 1) {
                    return in;
                }
                byte[] bytes = in.readAllBytes();
                in.close();
                bytes[bytes.length / 2] ^= 0x10;
                return new java.io.ByteArrayInputStream(bytes);
            }
        };
        try (Repository through = Repository.open(flaky)) {
            PruneReport report = through.prune().policy(keepLast(2)).maxUnused(0).run();
            assertThat(report.packsRepacked()).isPositive();
        }
        assertThat(flipped.get()).isGreaterThan(1);
        assertThat(repo.verify(true).problems()).isEmpty();
        assertThat(repo.snapshots()).hasSize(2);
    }

    @Test
    void prune_reads_the_index_objects_into_its_plan_with_no_index_loaded_beside_them() {
        // The walk of the remaining snapshots looks its trees up in the store's loaded index; the plan then reads every
        // index object into a table of its own. With the loaded index kept through that read, both were in memory
        // (48 bytes a blob each) and a prune of 200,000 files ran out of a 64 MiB heap.
        List<Integer> loadedWhileRead = new ArrayList<>();
        Repository[] opened = new Repository[1];
        Sink watching = new ForwardingSink(sink) {
            @Override
            public InputStream get(String name) throws IOException {
                if (name.startsWith("index/") && opened[0] != null) {
                    loadedWhileRead.add(opened[0].store().loadedIndexSize());
                }
                return super.get(name);
            }
        };
        opened[0] = Repository.open(watching);
        long indexObjects = count(sink, "index/");
        assertThat(indexObjects).isPositive();
        opened[0].prune().policy(keepLast(2)).run();
        // read twice: once to load the index for the walk, once into the plan; never with an index loaded
        assertThat(loadedWhileRead).hasSize((int) (2 * indexObjects)).containsOnly(0);
        assertThat(opened[0].verify(true).problems()).isEmpty();
        assertThat(opened[0].snapshots()).hasSize(2);
    }

    /** A repository in {@code name} with one backup of {@code count} small files, {@code fI} holding "{@code text}I". */
    /**
     * Repacking 20,000 tiny blobs writes two packs, cut by count (PackWriter.MAX_BLOBS), though their bytes fit one:
     * the dry run counted packs by bytes alone and said one.
     */
    @Test
    void a_dry_run_counts_the_packs_that_repacking_tiny_blobs_writes_as_the_run_does() {
        Repository tiny = Repository.init(sink(dir.resolve("tiny")), RepositorySettings.defaults());
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 40_000; i++) {
            files.put("f" + i, ("tiny " + i).getBytes());
        }
        SourceId source = new SourceId("map", "tiny");
        Backup.pipeline().source(new PruneFixture.MapSource(source, files)).to(tiny).host("host").build().run();
        Map<String, byte[]> half = new java.util.LinkedHashMap<>();   // every other file: each pack half used
        for (int i = 0; i < 40_000; i += 2) {
            half.put("f" + i, files.get("f" + i));
        }
        Backup.pipeline().source(new PruneFixture.MapSource(source, half)).to(tiny).host("host").build().run();

        PruneReport dry = tiny.prune().policy(keepLast(1)).maxUnused(0).dryRun(true).run();
        PruneReport real = tiny.prune().policy(keepLast(1)).maxUnused(0).run();

        assertThat(real.packsRepacked()).isPositive();
        assertThat(dry.packsRepacked()).isEqualTo(real.packsRepacked());
        assertThat(dry.packsWritten()).isEqualTo(real.packsWritten()).isGreaterThanOrEqualTo(2);
        assertThat(tiny.verify(true).problems()).isEmpty();
    }

    private Repository smallFiles(String name, int packSize, int count, String text) {
        Repository many = Repository.init(new LocalDirectorySink(dir.resolve(name), false),
                RepositorySettings.defaults().withPackSize(packSize));
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            files.put("f" + i, (text + i).getBytes());
        }
        Backup.pipeline().source(new PruneFixture.MapSource(new SourceId("map", "many"), files)).to(many).host("host")
                .build().run();
        return many;
    }

    private static LocalDirectorySink sink(Path root) {
        return new LocalDirectorySink(root, false);
    }

    @Test
    void partly_used_packs_are_repacked_only_when_unused_data_exceeds_max_unused() {
        PruneReport tolerant = repo.prune().policy(keepLast(3)).maxUnused(1).run();
        assertThat(tolerant.packsRepacked()).isZero();
        assertThat(tolerant.unusedBytesLeft()).isPositive();

        PruneReport strict = repo.prune().maxUnused(0.05).run();

        assertThat(strict.groups()).isEmpty();
        assertThat(strict.packsRepacked()).isPositive();
        assertThat(strict.packsWritten()).isPositive();
        assertThat(strict.unusedBytesLeft()).isLessThan(tolerant.unusedBytesLeft());
        assertThat(repo.verify(true).problems()).isEmpty();
        assertThat(restore(repo, taken.get(3))).containsEntry("note.txt", "snapshot 4".getBytes());
    }

    @Test
    void the_new_index_is_stored_before_old_index_objects_and_then_packs_are_deleted() {
        List<String> steps = new ArrayList<>();
        // one index object per backup at least; a backup of many packs adds checkpoints (see Checkpoints)
        assertThat(count(sink, "index/")).isGreaterThanOrEqualTo(6);

        repo.prune().policy(keepLast(3)).maxUnused(0).listener((step, object) -> steps.add(step + " " + object)).run();

        List<String> kinds = steps.stream().map(s -> s.substring(0, s.indexOf(' '))).toList();
        assertThat(kinds).contains("REMOVE_SNAPSHOT", "WRITE_PACK", "WRITE_INDEX", "DELETE_INDEX", "DELETE_PACK");
        assertThat(kinds.lastIndexOf("REMOVE_SNAPSHOT")).isLessThan(kinds.indexOf("WRITE_PACK"));
        assertThat(kinds.lastIndexOf("WRITE_PACK")).isLessThan(kinds.indexOf("WRITE_INDEX"));
        assertThat(kinds.lastIndexOf("WRITE_INDEX")).isLessThan(kinds.indexOf("DELETE_INDEX"));
        assertThat(kinds.lastIndexOf("DELETE_INDEX")).isLessThan(kinds.indexOf("DELETE_PACK"));
        assertThat(count(sink, "index/")).as("consolidated").isEqualTo(1);
    }

    @Test
    void packs_of_an_interrupted_backup_are_deleted_only_after_the_grace_period() {
        Source failing = new Source() {
            @Override
            public SourceId id() {
                return new SourceId("map", "test");
            }

            @Override
            public SourceReader open(BackupContext context) {
                return new SourceReader() {
                    int n;

                    @Override
                    public Optional<SourceEntry> next() throws IOException {
                        if (n++ == 0) {
                            byte[] big = PruneFixture.random(200 * 1024, 99);
                            return Optional.of(SourceEntry.of(Entry.regular("big.bin").size(big.length).build(),
                                    () -> new ByteArrayInputStream(big)));
                        }
                        throw new IOException("the source went away");
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        assertThatThrownBy(() -> Backup.pipeline().source(failing).to(repo).build().run())
                .hasMessageContaining("the source went away");
        long left = repo.verify(false).unreferencedPacks();
        assertThat(left).isPositive();

        PruneReport now = repo.prune().run();
        assertThat(now.unindexedPacksKept()).isEqualTo(left);
        assertThat(now.unindexedPacksDeleted()).isZero();
        assertThat(repo.verify(false).unreferencedPacks()).isEqualTo(left);

        Clock dayLater = Clock.offset(Clock.systemUTC(), Duration.ofHours(25));
        PruneReport later = repo.prune().clock(dayLater).run();
        assertThat(later.unindexedPacksDeleted()).isEqualTo(left);
        assertThat(repo.verify(true).unreferencedPacks()).isZero();
        assertThat(repo.verify(true).problems()).isEmpty();
    }

    @Test
    void a_groups_newest_snapshot_is_kept_unless_told_otherwise() {
        Retention onlyTagged = Retention.builder().keepTag("keep").build();

        PruneReport report = repo.prune().policy(onlyTagged).run();

        assertThat(ids(repo.snapshots())).containsExactly(taken.get(5).id());
        assertThat(report.kept()).singleElement().satisfies(k ->
                assertThat(k.reasons()).containsExactly("newest snapshot of its group"));

        PruneReport all = repo.prune().policy(onlyTagged).protectNewest(false).run();

        assertThat(all.removed()).hasSize(1);
        assertThat(repo.snapshots()).isEmpty();
        assertThat(count(sink, "data/") + count(sink, "index/") + count(sink, "snapshots/")).isZero();
    }

    @Test
    void one_groups_history_never_removes_anothers() {
        backup(repo, 7, new SourceId("map", "other"), "host");
        backup(repo, 8, new SourceId("map", "test"), "host2");

        PruneReport report = repo.prune().policy(keepLast(1)).run();

        assertThat(report.groups()).extracting(PruneReport.Group::description).containsExactly(
                "host=host source=map:other", "host=host source=map:test", "host=host2 source=map:test");
        assertThat(repo.snapshots()).extracting(s -> s.host() + " " + s.source())
                .containsExactlyInAnyOrder("host map:test", "host map:other", "host2 map:test");
        assertThat(repo.snapshots()).filteredOn(s -> s.host().equals("host") && s.source().name().equals("test"))
                .extracting(Snapshot::id).containsExactly(taken.get(5).id());

        PruneReport oneGroup = repo.prune().policy(keepLast(1)).groupBy(GroupBy.parse("")).run();
        assertThat(oneGroup.groups()).singleElement().extracting(PruneReport.Group::description).isEqualTo("all snapshots");
        assertThat(repo.snapshots()).singleElement().extracting(Snapshot::host).isEqualTo("host2");
        assertThat(repo.verify(true).problems()).isEmpty();
    }

    @Test
    void prune_changes_nothing_when_a_remaining_snapshot_is_damaged() throws IOException {
        Map<String, Long> beforeLast = objects(sink);
        Snapshot last = backup(repo, 7);
        String newPack = objects(sink).keySet().stream()
                .filter(n -> n.startsWith("data/") && !beforeLast.containsKey(n)).findFirst().orElseThrow();
        sink.delete(newPack);
        Map<String, Long> before = objects(sink);

        assertThatThrownBy(() -> repo.prune().policy(keepLast(3)).run())
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("prune stopped before deleting any data")
                .hasMessageContaining("mint-backup verify")
                .hasMessageContaining("repair snapshots --forget");

        assertThat(objects(sink)).isEqualTo(before);
        assertThat(ids(repo.snapshots())).contains(last.id()).hasSize(7);
    }

    @Test
    void a_pack_to_repack_that_is_shorter_than_its_index_says_stops_prune_before_it_deletes_anything()
            throws IOException {
        // Repacking reads a pack as a stream, a needed blob at a time: one that ends early is named, not repacked.
        PruneReport dry = repo.prune().policy(keepLast(3)).maxUnused(0).dryRun(true).run();
        assertThat(dry.packsRepacked()).isPositive();
        for (Map.Entry<String, Long> o : objects(sink).entrySet()) {
            if (o.getKey().startsWith("data/")) {
                java.nio.file.Path file = dir.resolve("repo").resolve(o.getKey());
                byte[] bytes = java.nio.file.Files.readAllBytes(file);
                java.nio.file.Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
            }
        }
        Map<String, Long> before = packsAndIndex(objects(sink));

        assertThatThrownBy(() -> repo.prune().policy(keepLast(3)).maxUnused(0).run())
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("prune stopped before deleting any data")
                .hasMessageContaining("shorter than its index says");

        // the snapshots the policy removes are gone (that comes first); no pack or index object changed
        assertThat(packsAndIndex(objects(sink))).isEqualTo(before);
        assertThat(ids(repo.snapshots())).containsExactlyElementsOf(ids(taken.subList(3, 6)));
    }

    private static Map<String, Long> packsAndIndex(Map<String, Long> objects) {
        Map<String, Long> out = new java.util.TreeMap<>(objects);
        out.keySet().removeIf(name -> !name.startsWith("data/") && !name.startsWith("tree/") && !name.startsWith("index/"));
        return out;
    }

    @Test
    void an_inconsistent_custom_policy_removes_nothing() {
        Map<String, Long> before = objects(sink);

        assertThatThrownBy(() -> repo.prune().policy(group -> new RetentionDecision(List.of(), group.subList(0, 1))).run())
                .isInstanceOf(BackupException.class)
                .hasMessageContaining("decided inconsistently");

        assertThat(objects(sink)).isEqualTo(before);
    }

    @Test
    void a_repository_opened_before_a_prune_elsewhere_still_restores_moved_blobs() {
        Repository early = Repository.open(new LocalDirectorySink(dir.resolve("repo"), false));
        assertThat(restore(early, taken.get(3))).containsEntry("note.txt", "snapshot 4".getBytes());

        PruneReport report = repo.prune().policy(keepLast(3)).maxUnused(0).run();
        assertThat(report.packsRepacked()).isPositive();

        Map<String, byte[]> restored = restore(early, taken.get(3));
        files(4).forEach((path, content) -> assertThat(restored.get(path)).as(path).isEqualTo(content));
    }

    @Test
    void single_object_layout_deletes_the_objects_of_removed_snapshots_and_old_orphans() throws IOException {
        LocalDirectorySink single = new LocalDirectorySink(dir.resolve("single"), false);
        Repository flat = Repository.init(single, RepositorySettings.defaults().withLayout(Layout.SINGLE));
        List<Snapshot> snaps = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            snaps.add(backup(flat, i));
        }
        byte[] orphan = "left by a backup that died".getBytes();
        single.put("files/20250101-000000-0badcafe/x.zst", new ByteArrayInputStream(orphan), orphan.length, ObjectKind.DATA);

        PruneReport report = flat.prune().policy(keepLast(2)).run();

        assertThat(report.objectsDeleted()).isEqualTo(2 * files(1).size());
        assertThat(objects(single).keySet()).noneMatch(n -> n.startsWith("files/" + snaps.get(0).id()))
                .noneMatch(n -> n.startsWith("files/" + snaps.get(1).id()))
                .anyMatch(n -> n.startsWith("files/" + snaps.get(3).id()))
                .contains("files/20250101-000000-0badcafe/x.zst");
        assertThat(flat.verify(true).problems()).isEmpty();
        assertThat(restore(flat, snaps.get(2))).containsEntry("own-1", files(3).get("own-1"));

        PruneReport later = flat.prune().clock(Clock.offset(Clock.systemUTC(), Duration.ofDays(2))).run();
        assertThat(later.objectsDeleted()).isEqualTo(1);
        assertThat(objects(single)).doesNotContainKey("files/20250101-000000-0badcafe/x.zst");
    }

    @Test
    void the_report_tells_why_each_snapshot_is_kept() {
        Retention policy = Retention.builder().keepDaily(2).keepWithinDaily("3d").keepMonthly(12).build();

        PruneReport report = repo.prune().policy(policy).dryRun(true).run();

        // days 1..6 of January: daily 2 keeps days 6 and 5, within 3d days 4..6, monthly keeps day 6 and, with count
        // left, the oldest (day 1)
        Set<String> kept = new HashSet<>();
        report.kept().forEach(k -> kept.add(k.snapshot().id()));
        assertThat(kept).containsExactlyInAnyOrder(taken.get(0).id(), taken.get(3).id(), taken.get(4).id(),
                taken.get(5).id());
        assertThat(report.kept().get(0).reasons()).containsExactly("daily snapshot", "monthly snapshot",
                "daily within 3d");
        assertThat(report.kept().get(3).reasons()).containsExactly("oldest monthly snapshot");
        assertThat(ids(report.removed())).containsExactly(taken.get(2).id(), taken.get(1).id());
        assertThat(repo.snapshots()).hasSize(6);
    }
}
