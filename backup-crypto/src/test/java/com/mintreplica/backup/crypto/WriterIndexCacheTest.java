package com.mintreplica.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.PruneReport;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.crypto.WriterKeyTest.CountingSource;
import com.mintreplica.backup.testkit.ForwardingSink;
import com.mintreplica.backup.testkit.InMemorySink;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: a writer keeps the id parts of the index objects it loaded in its local cache (beside its parent cache,
 * sealed under its cache key) and takes them from there when the listing shows an object unchanged, asking the keys
 * again every time whether its signer is still trusted. Keys are made by the real gpg; the repository is in memory
 * (wrapped to count the index objects read).
 */
@Timeout(300)
class WriterIndexCacheTest {
    private final TestKeys keys = TestKeys.get();

    @TempDir
    Path temp;

    /** Records the index objects read. */
    private static final class IndexReads extends ForwardingSink {
        final List<String> names = Collections.synchronizedList(new ArrayList<>());

        IndexReads(Sink sink) {
            super(sink);
        }

        @Override
        public InputStream get(String name) throws IOException {
            if (name.startsWith("index/")) {
                names.add(name);
            }
            return super.get(name);
        }

        @Override
        public void close() {
            // the test's sink outlives each Repository
        }
    }

    private InMemorySink repository() {
        return WriterKeyTest.repository(Layout.CHUNKED, keys.edPublic());
    }

    private WriterKey export(InMemorySink sink, String name) {
        return WriterKeyTest.exportWriter(sink, keys.edSecret(), temp, name);
    }

    /** A backup from {@code host} (a host of its own: no parent, every file read and deduplicated by its id). */
    private static BackupResult backup(Sink sink, WriterKey writer, String host, CountingSource source) {
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.writeWith(writer))) {
            return Backup.pipeline().source(source).to(repo).host(host).build().run();
        }
    }

    /** Files of one chunk each (below the smallest chunk size), so that a file's blob id is the HMAC of its content. */
    private static CountingSource files(int... seeds) {
        CountingSource s = new CountingSource();
        for (int seed : seeds) {
            s.put("f" + seed + ".bin", Fixtures.random(100_000, seed), "t" + seed);
        }
        return s;
    }

    private static long bytes(CountingSource s) {
        return s.files.values().stream().mapToLong(b -> b.length).sum();
    }

    private Path cacheDir(WriterKey writer) {
        return temp.resolve("cache-" + writer.name()).resolve(writer.repositoryId()).resolve("index");
    }

    private Set<String> cached(WriterKey writer) throws IOException {
        Path dir = cacheDir(writer);
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> "index/" + p.getFileName()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static Set<String> listed(InMemorySink sink) {
        return sink.objects().keySet().stream().filter(n -> n.startsWith("index/"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** A reader restores {@code backup}'s snapshot, and finds every file of {@code source} as it was. */
    private void assertRestores(InMemorySink sink, BackupResult backup, CountingSource source) {
        Map<String, byte[]> restored = WriterKeyTest.restore(sink, keys.edSecret(), backup.snapshot().id());
        source.files.forEach((path, content) -> assertThat(restored.get(path)).as(path).isEqualTo(content));
    }

    @Test
    void a_writers_next_backup_reads_no_index_object_it_cached_and_deduplicates_as_without_the_cache() throws Exception {
        InMemorySink sink = repository();
        WriterKey app1 = export(sink, "app1");
        backup(sink, app1, "h1", files(1, 2));
        backup(sink, app1, "h2", files(3, 4)); // loads (and caches) the index object of the first
        Set<String> cachedBefore = cached(app1);
        assertThat(cachedBefore).as("the first backup's index object is cached").isNotEmpty();
        InMemorySink twin = new InMemorySink();
        sink.objects().forEach((name, bytes) -> WriterKeyTest.put(twin, name, bytes));

        IndexReads reads = new IndexReads(sink);
        CountingSource third = files(1, 2, 3, 4, 5);
        BackupResult withCache = backup(reads, app1, "h3", third);
        assertThat(reads.names).as("no cached index object is read again").doesNotContainAnyElementsOf(cachedBefore);
        assertThat(withCache.snapshot().stats().bytesNew()).as("only f5 is new: dedup works from the cache")
                .isEqualTo(100_000);

        // the same backup without the cache: the same new bytes stored
        BackupResult without = backup(twin, app1.withoutCache(), "h3", files(1, 2, 3, 4, 5));
        assertThat(withCache.snapshot().stats().bytesNew()).isEqualTo(without.snapshot().stats().bytesNew());
        assertThat(withCache.snapshot().stats().bytesStored()).isEqualTo(without.snapshot().stats().bytesStored());
        assertRestores(sink, withCache, third);

        // the next backup reads exactly the objects not cached yet (the one the last backup wrote)
        Set<String> uncached = Sets.minus(listed(sink), cached(app1));
        assertThat(uncached).hasSize(1);
        IndexReads again = new IndexReads(sink);
        backup(again, app1, "h4", files(1, 6));
        assertThat(new TreeSet<>(again.names)).isEqualTo(uncached);
    }

    @Test
    void a_cached_index_object_of_a_writer_revoked_since_stops_counting_at_once() throws Exception {
        InMemorySink sink = repository();
        WriterKey app1 = export(sink, "app1");
        WriterKey app2 = export(sink, "app2");
        Set<String> before = listed(sink);
        backup(sink, app2, "h2", files(7)); // only app2's index object lists f7
        Set<String> ofApp2 = new TreeSet<>(listed(sink));
        ofApp2.removeAll(before);
        assertThat(ofApp2).hasSize(1);
        // app1 deduplicates against it, and caches its ids
        assertThat(backup(sink, app1, "h1", files(7, 8)).snapshot().stats().bytesNew()).isEqualTo(100_000);
        assertThat(cached(app1)).containsAll(ofApp2);

        try (KeyManager manager = KeyManager.open(sink, keys.edSecret())) {
            manager.revokeWriter("app2", Optional.empty());
        }
        assertThat(cached(app1)).as("the cache file is still there").containsAll(ofApp2);
        // f7 only app2's object lists: app1 stores it again instead of trusting the cached ids
        CountingSource source = files(7, 9);
        BackupResult after = backup(sink, app1, "h3", source);
        assertThat(after.snapshot().stats().bytesNew()).as("f7 and f9 stored").isEqualTo(bytes(source));
        assertRestores(sink, after, source);
    }

    @Test
    void recheck_answers_from_the_writers_list_read_at_the_start_of_each_write_session() throws Exception {
        InMemorySink sink = repository();
        WriterKey app1 = export(sink, "app1");
        WriterKey app2 = export(sink, "app2");
        Set<String> before = listed(sink);
        backup(sink, app2, "h2", files(60));
        Set<String> ofApp2 = Sets.minus(listed(sink), before);
        String name = ofApp2.iterator().next();
        com.mintreplica.backup.core.encryption.RepositoryKeys keys1 = OpenPgpEncryption.writeWith(app1).unlock(
                new com.mintreplica.backup.core.encryption.RepositoryEncryption.Context(sink, app1.repositoryId(),
                        Layout.CHUNKED, Map.of()));
        com.mintreplica.backup.core.encryption.AccessControl access = keys1.access();
        com.mintreplica.backup.core.encryption.AccessControl.Opened opened = access.open(name, sink.objects().get(name));
        assertThat(opened.untrusted()).isEmpty();
        String token = opened.recheck().orElseThrow();
        assertThat(token).isEqualTo("writer:" + app2.writerId());
        assertThat(access.recheck(name, token)).get().satisfies(o -> assertThat(o.untrusted()).isEmpty());
        assertThat(access.recheck(name, "authority")).get().satisfies(o -> assertThat(o.untrusted()).isEmpty());
        assertThat(access.recheck(name, "writer:" + "00".repeat(16))).get()
                .satisfies(o -> assertThat(o.untrusted()).get().asString().contains("does not name"));
        assertThat(access.recheck(name, "not a token")).isEmpty();
        // an object that does not verify is damage: it gets no token (nothing is cached) and the core reads it again
        byte[] stored = sink.objects().get(name).clone();
        stored[stored.length - 1] ^= 1;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> access.open(name, stored))
                .isInstanceOf(com.mintreplica.backup.core.CorruptDataException.class)
                .hasMessageContaining("its signature does not verify with the key of");

        try (KeyManager manager = KeyManager.open(sink, this.keys.edSecret())) {
            manager.revokeWriter("app2", Optional.empty());
        }
        // the list is read again when a write session (every backup's lease) begins, before the backup loads the index
        access.beginWrite().close();
        assertThat(access.recheck(name, token)).get()
                .satisfies(o -> assertThat(o.untrusted()).get().asString().contains("revoked"));
        assertThat(access.open(name, sink.objects().get(name)).untrusted()).as("as open says")
                .get().asString().contains("revoked");
    }

    @Test
    void a_damaged_truncated_or_foreign_cache_file_is_ignored_read_from_the_repository_and_rewritten() throws Exception {
        InMemorySink sink = repository();
        WriterKey app1 = export(sink, "app1");
        WriterKey app2 = export(sink, "app2");
        backup(sink, app1, "h1", files(11));
        backup(sink, app1, "h2", files(12));
        backup(sink, app1, "h3", files(13));
        // app2 caches the same objects under its own key
        backup(sink, app2, "h9", files(14));
        backup(sink, app1, "h4", files(11, 12, 13, 14)); // app1 caches all four
        List<String> objects = new ArrayList<>(cached(app1));
        objects.retainAll(cached(app2));
        assertThat(objects).as("objects both writers cached").hasSizeGreaterThanOrEqualTo(2);
        String object = objects.get(0);
        Path victim = cacheDir(app1).resolve(object.substring("index/".length()));
        Path other = cacheDir(app1).resolve(objects.get(1).substring("index/".length()));
        Path app2s = cacheDir(app2).resolve(object.substring("index/".length()));

        int round = 0;
        for (String damage : List.of("damaged", "truncated", "another object's", "another writer's", "empty")) {
            round++;
            byte[] good = Files.readAllBytes(victim);
            switch (damage) {
                case "damaged" -> {
                    byte[] b = good.clone();
                    b[b.length / 2] ^= 1;
                    Files.write(victim, b);
                }
                case "truncated" -> Files.write(victim, Arrays.copyOf(good, good.length - 40));
                case "another object's" -> Files.copy(other, victim, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                case "another writer's" -> Files.copy(app2s, victim, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                default -> Files.write(victim, new byte[0]);
            }
            Set<String> cachedNow = cached(app1);
            assertThat(cachedNow).contains(object);
            IndexReads reads = new IndexReads(sink);
            CountingSource source = files(11, 12, 13, 14, 100 + round);
            BackupResult result = backup(reads, app1, "d-" + damage, source);
            assertThat(reads.names).as("%s: that object is read from the repository", damage).contains(object)
                    .as("%s: and no other cached one", damage)
                    .doesNotContainAnyElementsOf(Sets.minus(cachedNow, Set.of(object)));
            assertThat(result.snapshot().stats().bytesNew()).as("%s: dedup is whole", damage).isEqualTo(100_000);
            assertThat(Files.readAllBytes(victim)).as("%s: rewritten", damage).isNotEqualTo(Files.readAllBytes(other))
                    .isNotEqualTo(Files.readAllBytes(app2s)).hasSizeGreaterThan(40);
            // and the rewritten file serves the next backup
            IndexReads next = new IndexReads(sink);
            backup(next, app1, "n-" + damage, files(11));
            assertThat(next.names).as("%s: not read after the rewrite", damage).doesNotContain(object);
        }
    }

    @Test
    void after_a_prune_consolidates_the_index_the_cache_holds_only_listed_objects_and_dedup_still_works() throws Exception {
        InMemorySink sink = repository();
        WriterKey app1 = export(sink, "app1");
        for (int i = 0; i < 4; i++) {
            backup(sink, app1, "h", files(20 + i, 30));
        }
        Set<String> four = listed(sink);
        backup(sink, app1, "cache", files(30)); // caches the four index objects
        assertThat(cached(app1)).isEqualTo(four);
        Set<String> before = listed(sink);

        PruneReport pruned;
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            pruned = repo.prune().policy(Retention.builder().keepLast(1).build()).unindexedGrace(Duration.ZERO).run();
        }
        assertThat(pruned.indexObjectsDeleted()).as("the index was consolidated").isPositive();
        assertThat(listed(sink)).isNotEqualTo(before);

        IndexReads reads = new IndexReads(sink);
        CountingSource source = files(23, 30, 40);
        BackupResult after = backup(reads, app1, "after", source);
        assertThat(after.snapshot().stats().bytesNew()).as("f23 and f30 are kept and deduplicated, f40 is new")
                .isEqualTo(100_000);
        Set<String> nowListed = listed(sink);
        assertThat(cached(app1)).as("only listed objects are cached").isSubsetOf(nowListed)
                .containsAll(reads.names).doesNotContainAnyElementsOf(Sets.minus(before, nowListed));
        assertRestores(sink, after, source);
    }

    @Test
    void the_cache_files_hold_no_blob_id_in_the_clear() throws Exception {
        InMemorySink sink = repository();
        WriterKey app1 = export(sink, "app1");
        CountingSource source = files(50, 51, 52);
        backup(sink, app1, "h1", source);
        backup(sink, app1, "h2", files(53));
        Set<String> cached = cached(app1);
        assertThat(cached).isNotEmpty();
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(app1.idKey(), "HmacSHA256"));
        List<byte[]> ids = new ArrayList<>();
        for (byte[] content : source.files.values()) {
            ids.add(mac.doFinal(content));
        }
        long total = 0;
        for (String name : cached) {
            Path file = cacheDir(app1).resolve(name.substring("index/".length()));
            byte[] bytes = Files.readAllBytes(file);
            total += bytes.length;
            for (byte[] id : ids) {
                assertThat(indexOf(bytes, id)).as("an id in the clear in %s", file).isNegative();
                assertThat(indexOf(bytes, Arrays.copyOf(id, 8))).isNegative();
            }
            assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(
                    java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                    java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        }
        assertThat(total).as("the ids are there, sealed").isGreaterThan(3 * 32);
        assertThat(Files.getPosixFilePermissions(cacheDir(app1))).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE,
                java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Set difference, for messages. */
    private static final class Sets {
        static Set<String> minus(Set<String> a, Set<String> b) {
            Set<String> out = new TreeSet<>(a);
            out.removeAll(b);
            return out;
        }
    }
}
