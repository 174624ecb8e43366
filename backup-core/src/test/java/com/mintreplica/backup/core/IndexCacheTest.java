package com.mintreplica.backup.core;

import static com.mintreplica.backup.core.PruneTest.keepLast;
import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.internal.BlobType;
import com.mintreplica.backup.core.internal.BlobId;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.SourceId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local cache of index objects' plaintext: a reader loads from it every index object the repository lists
 * unchanged, and reads from the repository only the others; verify still reads what is stored. Real repositories on
 * local directories, real backups, restores and prunes.
 */
@Timeout(120)
class IndexCacheTest {
    @TempDir
    Path temp;

    private static final SourceId SOURCE = new SourceId("map", "index-cache");

    private Path cacheDir() {
        return temp.resolve("cache");
    }

    /** The names of the index objects the cache holds a file of ({@code index/<hex>}). */
    private Set<String> cachedIndex() throws Exception {
        Set<String> out = new TreeSet<>();
        if (!Files.isDirectory(cacheDir())) {
            return out;
        }
        try (Stream<Path> files = Files.walk(cacheDir())) {
            files.filter(Files::isRegularFile).filter(f -> f.getParent().getFileName().toString().equals("index"))
                    .filter(f -> !f.getFileName().toString().startsWith("."))
                    .forEach(f -> out.add("index/" + f.getFileName()));
        }
        return out;
    }

    private Path cachedFile(String indexObject) throws Exception {
        try (Stream<Path> files = Files.walk(cacheDir())) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith("/" + indexObject)).findFirst().orElseThrow();
        }
    }

    private static Set<String> listedIndex(LocalDirectorySink sink) {
        return PruneFixture.objects(sink).keySet().stream().filter(n -> n.startsWith("index/"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Opens the repository with the cache, restores and lists; returns the index objects it read from the repository. */
    private List<String> openRestoreAndList(LocalDirectorySink local, com.mintreplica.backup.core.encryption.RepositoryEncryption encryption,
                                            List<Snapshot> expected, int... days) {
        CountingSink sink = new CountingSink(local);
        try (Repository repo = (encryption == null ? Repository.open(sink) : Repository.open(sink, encryption))
                .withCache(cacheDir())) {
            assertThat(repo.snapshots()).containsExactlyElementsOf(expected);
            for (int i = 0; i < days.length; i++) {
                assertThat(digests(PruneFixture.restore(repo, expected.get(expected.size() - days.length + i))))
                        .as("restore of day " + days[i]).isEqualTo(digests(PruneFixture.files(days[i])));
            }
            return new ArrayList<>(sink.indexReads);
        }
    }

    private static java.util.Map<String, String> digests(java.util.Map<String, byte[]> files) {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        files.forEach((k, v) -> out.put(k, v.length + ":" + java.util.Base64.getEncoder().encodeToString(
                com.mintreplica.backup.core.internal.Sha256.hash(v, 0, v.length))));
        return out;
    }

    @Test
    void a_second_open_reads_no_index_object_and_after_a_backup_only_the_new_one() throws Exception {
        LocalDirectorySink local = new LocalDirectorySink(temp.resolve("repo"));
        List<Snapshot> taken = new ArrayList<>();
        try (Repository repo = Repository.init(local, PruneFixture.smallSettings())) {
            for (int i = 0; i < 4; i++) {
                taken.add(PruneFixture.backup(repo, i, SOURCE, "host"));
            }
        }
        Set<String> listed = listedIndex(local);
        assertThat(listed).hasSizeGreaterThanOrEqualTo(4);

        // the first open with a cache reads every index object, and keeps them
        assertThat(openRestoreAndList(local, null, taken, 3)).containsExactlyInAnyOrderElementsOf(listed);
        assertThat(cachedIndex()).isEqualTo(listed);
        // the next reads none, and restores and lists the same
        assertThat(openRestoreAndList(local, null, taken, 0, 1, 2, 3)).as("index objects read with a full cache").isEmpty();

        try (Repository repo = Repository.open(local).withCache(cacheDir())) {
            taken.add(PruneFixture.backup(repo, 4, SOURCE, "host"));
        }
        Set<String> added = listedIndex(local);
        added.removeAll(listed);
        assertThat(added).isNotEmpty();
        assertThat(openRestoreAndList(local, null, taken, 4)).as("only the new backup's index").containsExactlyInAnyOrderElementsOf(added);
        assertThat(openRestoreAndList(local, null, taken, 4)).isEmpty();
    }

    @Test
    void a_damaged_or_cut_cache_file_is_not_used_and_is_rewritten() throws Exception {
        LocalDirectorySink local = new LocalDirectorySink(temp.resolve("repo"));
        List<Snapshot> taken = new ArrayList<>();
        // no transformers: only the file's checksum catches a changed byte
        try (Repository repo = Repository.init(local, PruneFixture.smallSettings().withTransformers(List.of()))) {
            for (int i = 0; i < 3; i++) {
                taken.add(PruneFixture.backup(repo, i, SOURCE, "host"));
            }
        }
        openRestoreAndList(local, null, taken, 2);
        String victim = listedIndex(local).iterator().next();
        Path file = cachedFile(victim);
        byte[] good = Files.readAllBytes(file);
        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x01;
        List<byte[]> damages = List.of(flipped, java.util.Arrays.copyOf(good, good.length - 1),
                java.util.Arrays.copyOf(good, good.length / 2), new byte[0], "MBX0 another version".getBytes());
        for (byte[] damaged : damages) {
            Files.write(file, damaged);
            assertThat(openRestoreAndList(local, null, taken, 0, 1, 2)).as("only the damaged one is read").containsExactly(victim);
            assertThat(Files.readAllBytes(file)).as("the file is rewritten").isNotEqualTo(damaged);
            assertThat(openRestoreAndList(local, null, taken, 2)).as("and used").isEmpty();
        }
        // a file of another object under this object's name
        String other = listedIndex(local).stream().filter(n -> !n.equals(victim)).findFirst().orElseThrow();
        Files.copy(cachedFile(other), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(openRestoreAndList(local, null, taken, 0, 1, 2)).containsExactly(victim);
        assertThat(openRestoreAndList(local, null, taken, 2)).isEmpty();
    }

    @Test
    void after_a_prune_replaced_the_index_the_cache_holds_only_the_listed_objects() throws Exception {
        LocalDirectorySink local = new LocalDirectorySink(temp.resolve("repo"));
        List<Snapshot> taken = new ArrayList<>();
        try (Repository repo = Repository.init(local, PruneFixture.smallSettings())) {
            for (int i = 0; i < 6; i++) {
                taken.add(PruneFixture.backup(repo, i, SOURCE, "host"));
            }
        }
        openRestoreAndList(local, null, taken, 5);
        Set<String> before = listedIndex(local);
        assertThat(cachedIndex()).isEqualTo(before);

        try (Repository repo = Repository.open(local).withCache(cacheDir())) {
            repo.prune().policy(keepLast(2)).maxUnused(0).run();
        }
        Set<String> after = listedIndex(local);
        assertThat(after).as("the prune replaced index objects").isNotEqualTo(before);
        List<Snapshot> kept = taken.subList(4, 6);
        openRestoreAndList(local, null, kept, 4, 5);
        assertThat(cachedIndex()).as("the cache holds the listed objects only").isEqualTo(after);
        assertThat(openRestoreAndList(local, null, kept, 4, 5)).isEmpty();
    }

    @Test
    void verify_reads_every_stored_index_object_and_reports_one_damaged_that_the_cache_holds_good() throws Exception {
        LocalDirectorySink local = new LocalDirectorySink(temp.resolve("repo"));
        List<Snapshot> taken = new ArrayList<>();
        try (Repository repo = Repository.init(local, PruneFixture.smallSettings().withTransformers(List.of()))) {
            for (int i = 0; i < 3; i++) {
                taken.add(PruneFixture.backup(repo, i, SOURCE, "host"));
            }
        }
        Set<String> listed = listedIndex(local);
        openRestoreAndList(local, null, taken, 2);
        assertThat(openRestoreAndList(local, null, taken, 2)).as("the cache holds the index").isEmpty();

        // damage a stored index object, keeping its size and time: the cache's key still matches
        String victim = listed.iterator().next();
        Path stored = local.root().resolve(victim);
        FileTime time = Files.getLastModifiedTime(stored);
        byte[] bytes = Files.readAllBytes(stored);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(stored, bytes);
        Files.setLastModifiedTime(stored, time);
        assertThat(openRestoreAndList(local, null, taken, 0, 1, 2)).as("a plain load uses the cache").isEmpty();

        CountingSink sink = new CountingSink(local);
        try (Repository repo = Repository.open(sink).withCache(cacheDir())) {
            VerifyReport report = repo.verify(false);
            assertThat(sink.indexReads).as("verify reads what is stored").containsAll(listed);
            assertThat(report.problems()).as("the damaged stored object is reported")
                    .anySatisfy(p -> assertThat(p.toString()).contains(victim));
        }
    }

    @Test
    void an_encrypted_repositorys_cached_index_holds_no_plaintext() throws Exception {
        EncryptedPruneTest.AesGcmEncryption encryption = new EncryptedPruneTest.AesGcmEncryption();
        LocalDirectorySink local = new LocalDirectorySink(temp.resolve("repo"));
        List<Snapshot> taken = new ArrayList<>();
        List<byte[]> known = new ArrayList<>();
        // no compression: what the files do not show, only the encryption hides
        try (Repository repo = Repository.init(local, PruneFixture.smallSettings().withTransformers(List.of()), encryption)) {
            for (int i = 0; i < 2; i++) {
                taken.add(PruneFixture.backup(repo, i, SOURCE, "host"));
            }
            for (BlobId id : repo.store().reloadIndex().blobIds(BlobType.DATA)) {
                known.add(id.bytes());
            }
            repo.store().reloadIndex().packs().forEach(p -> known.add(p.bytes()));
        }
        assertThat(known).hasSizeGreaterThan(10);
        openRestoreAndList(local, encryption, taken, 1);
        Set<String> cached = cachedIndex();
        assertThat(cached).isEqualTo(listedIndex(local));
        for (String name : cached) {
            String file = new String(Files.readAllBytes(cachedFile(name)), StandardCharsets.ISO_8859_1);
            // The plaintext's 4-byte magics: 3 bytes ("MBI") turned up in random ciphertext now and then (a flaky test).
            assertThat(file).doesNotContain("MBI1").doesNotContain("MBI3").doesNotContain(name);
            for (byte[] id : known) {
                assertThat(file).doesNotContain(new String(id, 0, 12, StandardCharsets.ISO_8859_1));
            }
        }
        assertThat(openRestoreAndList(local, encryption, taken, 0, 1)).as("the encrypted files are used").isEmpty();
    }
}
