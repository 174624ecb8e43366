package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.SourceId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The local cache of snapshot summaries and tree packs: used when it holds what is read, never trusted over the repository. */
@Timeout(120)
class LocalCacheTest {
    @TempDir
    Path temp;

    /** The cache's files of all snapshot heads (one per repository). */
    private List<Path> cached() throws Exception {
        return cached("heads");
    }

    private List<Path> cached(String name) throws Exception {
        try (Stream<Path> files = Files.walk(temp.resolve("cache"))) {
            return files.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().equals(name)).toList();
        }
    }

    /** Deletes the cache's files of heads and lists: the file of all heads then holds every snapshot. */
    private List<Snapshot> relist(Repository repo) throws Exception {
        for (Path f : cached()) {
            Files.delete(f);
        }
        for (Path f : cached("heads-added")) {
            Files.delete(f);
        }
        return repo.snapshots();
    }

    private static Path only(List<Path> files) {
        assertThat(files).hasSize(1);
        return files.get(0);
    }

    /** No transformers: a changed byte of the cache file is not caught by a decompressor, only by its checksum. */
    private static RepositorySettings plainSettings() {
        return PruneFixture.smallSettings().withTransformers(List.of());
    }

    @Test
    void a_cached_listing_reads_no_snapshot_object_from_one_file_and_a_new_snapshot_only_itself() throws Exception {
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.init(sink, PruneFixture.smallSettings()).withCache(temp.resolve("cache"))) {
            for (int i = 0; i < 20; i++) {
                PruneFixture.backup(repo, i, new SourceId("map", "cache"), "host");
            }
            List<Snapshot> first = repo.snapshots();
            assertThat(first).hasSize(20);
            only(cached());

            sink.snapshotReads.set(0);
            assertThat(repo.snapshots()).isEqualTo(first);
            assertThat(sink.snapshotReads.get()).as("snapshot objects read with a full cache").isZero();

            PruneFixture.backup(repo, 20, new SourceId("map", "cache"), "host");
            sink.snapshotReads.set(0);
            assertThat(repo.snapshots()).hasSize(21).startsWith(first.toArray(Snapshot[]::new));
            assertThat(sink.snapshotReads.get()).as("only the new snapshot is read").isEqualTo(1);
        }
        // another Repository on the same cache (the next process) reads nothing but the listing
        CountingSink again = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.open(again).withCache(temp.resolve("cache"))) {
            assertThat(repo.snapshots()).hasSize(21);
            assertThat(again.snapshotReads.get()).isZero();
        }
        try (Stream<Path> files = Files.walk(temp.resolve("cache"))) {
            assertThat(files.filter(f -> f.toString().contains("/snapshots"))).as("no file per snapshot").isEmpty();
        }
    }

    @Test
    void a_damaged_or_cut_cache_file_is_not_used_and_is_rewritten() throws Exception {
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.init(sink, plainSettings()).withCache(temp.resolve("cache"))) {
            for (int i = 0; i < 6; i++) {
                PruneFixture.backup(repo, i, new SourceId("map", "cache"), "host-" + i);
            }
            List<Snapshot> first = relist(repo);
            Path file = only(cached());
            byte[] good = Files.readAllBytes(file);
            // one bit of a host name in the file (stored as is without transformers): it would still parse
            int at = new String(good, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("host-3");
            assertThat(at).as("the host name in the plain cache file").isPositive();
            byte[] flipped = good.clone();
            flipped[at + 5] ^= 0x01; // host-3 -> host-2
            List<byte[]> damages = List.of(flipped, java.util.Arrays.copyOf(good, good.length - 1),
                    java.util.Arrays.copyOf(good, good.length / 2), new byte[0]);
            for (byte[] damaged : damages) {
                Files.write(file, damaged);
                sink.snapshotReads.set(0);
                assertThat(repo.snapshots()).isEqualTo(first);
                assertThat(sink.snapshotReads.get()).as("every snapshot read again").isEqualTo(6);
                sink.snapshotReads.set(0);
                assertThat(repo.snapshots()).isEqualTo(first);
                assertThat(sink.snapshotReads.get()).as("the rewritten file is used").isZero();
            }

            // the file of heads added since: damaged, it costs its own heads only
            Snapshot seventh = PruneFixture.backup(repo, 6, new SourceId("map", "cache"), "host-6");
            repo.snapshots();
            Path added = only(cached("heads-added"));
            byte[] addedBytes = Files.readAllBytes(added);
            int at6 = new String(addedBytes, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("host-6");
            assertThat(at6).isPositive();
            addedBytes[at6 + 5] ^= 0x01;
            Files.write(added, addedBytes);
            sink.snapshotReads.set(0);
            assertThat(repo.snapshots()).containsSubsequence(first).contains(seventh).hasSize(7);
            assertThat(sink.snapshotReads.get()).isEqualTo(1);
            sink.snapshotReads.set(0);
            repo.snapshots();
            assertThat(sink.snapshotReads.get()).isZero();
        }
    }

    @Test
    void a_cache_file_of_another_repository_is_not_used() throws Exception {
        Path other = temp.resolve("other");
        try (Repository repo = Repository.init(new LocalDirectorySink(other), plainSettings()).withCache(temp.resolve("cache"))) {
            PruneFixture.backup(repo, 0, new SourceId("map", "cache"), "someone-else");
            repo.snapshots();
        }
        Path foreign = only(cached());
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.init(sink, plainSettings()).withCache(temp.resolve("cache"))) {
            Snapshot mine = PruneFixture.backup(repo, 0, new SourceId("map", "cache"), "me");
            repo.snapshots();
            Path file = cached().stream().filter(f -> !f.equals(foreign)).findFirst().orElseThrow();
            Files.copy(foreign, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            sink.snapshotReads.set(0);
            assertThat(repo.snapshots()).containsExactly(mine);
            assertThat(sink.snapshotReads.get()).isEqualTo(1);
        }
    }

    @Test
    void a_snapshot_deleted_from_the_repository_vanishes_and_one_replaced_under_its_id_is_read_again() throws Exception {
        LocalDirectorySink local = new LocalDirectorySink(temp.resolve("repo"));
        CountingSink sink = new CountingSink(local);
        try (Repository repo = Repository.init(sink, plainSettings()).withCache(temp.resolve("cache"))) {
            for (int i = 0; i < 5; i++) {
                PruneFixture.backup(repo, i, new SourceId("map", "cache"), "host");
            }
            List<Snapshot> first = relist(repo);
            byte[] before = Files.readAllBytes(only(cached()));

            // deleted by another host (not through this Repository): gone from the listing and from the file
            sink.delete(com.mintreplica.backup.core.internal.Manifest.objectName(first.get(1).id()));
            assertThat(repo.snapshots()).containsExactly(first.get(0), first.get(2), first.get(3), first.get(4));
            assertThat(Files.readAllBytes(only(cached()))).as("the file is rewritten").isNotEqualTo(before);
            sink.snapshotReads.set(0);
            assertThat(repo.snapshots()).hasSize(4);
            assertThat(sink.snapshotReads.get()).isZero();

            // replaced under its id, same size, another time: read again
            Snapshot samesize = replace(repo, local, first.get(2), "hosu", +5);
            // replaced under its id, same time, another size: read again
            Snapshot longer = replace(repo, local, first.get(3), "a-longer-host", 0);
            assertThat(repo.snapshots()).containsExactly(first.get(0), samesize, longer, first.get(4));
            sink.snapshotReads.set(0);
            assertThat(repo.snapshots()).containsExactly(first.get(0), samesize, longer, first.get(4));
            assertThat(sink.snapshotReads.get()).as("the new ones are cached").isZero();
        }
    }

    /**
     * Rewrites the object of {@code old} with another host, and sets its time {@code seconds} after the old one's
     * (0: the same time): a snapshot replaced under the same id, as a repair or a copy by another version may.
     */
    private static Snapshot replace(Repository repo, LocalDirectorySink sink, Snapshot old, String host, int seconds)
            throws Exception {
        String name = com.mintreplica.backup.core.internal.Manifest.objectName(old.id());
        var info = sink.stat(name).orElseThrow();
        var manifest = repo.store().manifest(old.id());
        Snapshot changed = new Snapshot(old.id(), old.time(), host, old.source(), old.job(), old.tags(), old.parent(),
                old.stats(), old.facts(), old.warnings(), old.toolVersion());
        sink.delete(name);
        repo.store().writeManifest(new com.mintreplica.backup.core.internal.Manifest(changed, manifest.layout(),
                manifest.items(), manifest.tree()));
        Path file = sink.root().resolve(name);
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(info.lastModified().plusSeconds(seconds)));
        var now = sink.stat(name).orElseThrow();
        if (seconds == 0) {
            assertThat(now.size()).isNotEqualTo(info.size());
            assertThat(now.lastModified()).isEqualTo(info.lastModified());
        } else {
            assertThat(now.size()).isEqualTo(info.size());
            assertThat(now.lastModified()).isNotEqualTo(info.lastModified());
        }
        return changed;
    }

    @Test
    void an_encrypted_repositorys_cache_file_is_encrypted() throws Exception {
        EncryptedPruneTest.AesGcmEncryption encryption = new EncryptedPruneTest.AesGcmEncryption();
        // no compression: what the file does not show, only the encryption hides
        LocalDirectorySink sink = new LocalDirectorySink(temp.resolve("repo"));
        Snapshot taken;
        try (Repository repo = Repository.init(sink, plainSettings(), encryption).withCache(temp.resolve("cache"))) {
            taken = PruneFixture.backup(repo, 0, new SourceId("map", "a-recognisable-source"), "a-very-recognisable-host-name");
            assertThat(repo.snapshots()).hasSize(1);
        }
        String file = new String(Files.readAllBytes(only(cached())), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(file).doesNotContain("a-very-recognisable-host-name").doesNotContain("a-recognisable-source")
                .doesNotContain(taken.id()).doesNotContain("MBH2"); // 4 bytes: 3 may turn up in ciphertext
        CountingSink again = new CountingSink(sink);
        try (Repository repo = Repository.open(again, encryption).withCache(temp.resolve("cache"))) {
            assertThat(repo.snapshots()).containsExactly(taken);
            assertThat(again.snapshotReads.get()).as("the encrypted file is read").isZero();
        }
    }

    @Test
    void directory_listings_are_read_from_cached_tree_packs_and_a_damaged_pack_from_the_repository() throws Exception {
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        Snapshot snapshot;
        try (Repository repo = Repository.init(sink, PruneFixture.smallSettings()).withCache(temp.resolve("cache"))) {
            snapshot = PruneFixture.backup(repo, 0, new SourceId("map", "trees"), "host");
            // the backup kept the tree packs it stored: listing reads none from the repository
            assertThat(repo.entries(snapshot)).isNotEmpty();
            assertThat(sink.treeReads.get() + sink.treePackDownloads.get()).isZero();
        }
        List<Path> packs;
        try (Stream<Path> files = Files.walk(temp.resolve("cache"))) {
            packs = files.filter(Files::isRegularFile).filter(f -> f.toString().contains("/tree/")).toList();
        }
        assertThat(packs).hasSize(1);
        Files.delete(packs.get(0));
        CountingSink again = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.open(again).withCache(temp.resolve("cache"))) {
            List<String> first = repo.entries(snapshot).stream().map(e -> e.path()).toList();
            assertThat(again.treePackDownloads.get()).as("the pack is fetched whole, once").isEqualTo(1);
            assertThat(again.treeReads.get()).isZero();
            assertThat(repo.entries(snapshot).stream().map(e -> e.path()).toList()).isEqualTo(first);
            assertThat(again.treePackDownloads.get()).isEqualTo(1);

            byte[] bytes = Files.readAllBytes(packs.get(0));
            for (int i = 0; i < bytes.length - 40; i += 7) {
                bytes[i] ^= 0x55;
            }
            Files.write(packs.get(0), bytes);
            assertThat(repo.entries(snapshot).stream().map(e -> e.path()).toList())
                    .as("a damaged cached pack is not trusted").isEqualTo(first);
            assertThat(repo.verify(true).problems()).isEmpty();
        }
    }

    @Test
    void verify_and_repair_judge_the_tree_packs_in_the_repository_not_their_copies_in_the_cache() throws Exception {
        Path root = temp.resolve("repo");
        Snapshot snapshot;
        try (Repository repo = Repository.init(new LocalDirectorySink(root), plainSettings()).withCache(temp.resolve("cache"))) {
            snapshot = PruneFixture.backup(repo, 0, new SourceId("map", "trees"), "host");
        }
        Path pack;
        try (Stream<Path> files = Files.walk(root.resolve("tree"))) {
            pack = only(files.filter(Files::isRegularFile).toList());
        }
        // the pack is damaged in the repository after the backup, which kept a whole copy in the cache
        byte[] bytes = Files.readAllBytes(pack);
        for (int i = 0; i < bytes.length - 40; i += 7) {
            bytes[i] ^= 0x55;
        }
        Files.write(pack, bytes);
        try (Repository repo = Repository.open(new LocalDirectorySink(root)).withCache(temp.resolve("cache"))) {
            // a restore on this host may take the listing from the cache (checked against its id, it is right) ...
            assertThat(repo.entries(snapshot)).isNotEmpty();
            // ... but verify says what any other host would meet: it read "no problems" from the cache before
            VerifyReport report = repo.verify(false);
            assertThat(report.ok()).isFalse();
            assertThat(report.problems()).anySatisfy(p -> assertThat(p.snapshots()).contains(snapshot.id()));
            SnapshotRepairReport repair = repo.repairSnapshots(List.of(snapshot.id()), true, false);
            assertThat(repair.intact()).isEmpty();
        }
    }
}
