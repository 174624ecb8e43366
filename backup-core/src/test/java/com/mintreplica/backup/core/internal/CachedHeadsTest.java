package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.transform.Transformers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The local cache's file of snapshot heads: its binary form, and its file as several processes replace it. */
@Timeout(120)
class CachedHeadsTest {
    @TempDir
    Path temp;

    static CachedHeads.Entry entry(int i, boolean tree) {
        String id = String.format("20260101-%06d-%08x", i, i);
        Snapshot snapshot = new Snapshot(id, Instant.ofEpochSecond(1_767_225_600L + i, 123_456_789 + i),
                i % 2 == 0 ? "host-a" : "hôst-ß-" + i, new SourceId("postgres", "shop/" + i % 3),
                i % 3 == 0 ? Optional.empty() : Optional.of("nightly"), i % 4 == 0 ? Set.of() : Set.of("a", "tag " + i),
                i % 5 == 0 ? Optional.empty() : Optional.of("parent-" + i),
                new Snapshot.Stats(i, 2L * i + Integer.MAX_VALUE, 3, 4, 5, -1), i % 2 == 0 ? Map.of()
                        : Map.of("pg.version", "15.4", "rows/" + i, "" + i * 7, "empty", ""),
                i % 3 == 1 ? List.of(new Snapshot.Warning("a/b \u00e9", "changed while read"), new Snapshot.Warning("", ""))
                        : List.of(), "0.1.0-" + i);
        Manifest head = tree ? Manifest.ofTree(snapshot, Layout.CHUNKED, BlobId.wrap(Sha256.hash(id.getBytes())))
                : new Manifest(snapshot, i % 2 == 0 ? Layout.SINGLE : Layout.CHUNKED, List.of());
        // every third a writer's, with the token its keys recheck it by
        return new CachedHeads.Entry(id, 300 + i, Instant.ofEpochSecond(1_767_225_600L + i, i * 1000L), head,
                i % 3 == 0 ? java.util.Optional.of("writer-" + i + ":" + "ab".repeat(32)) : java.util.Optional.empty());
    }

    static List<CachedHeads.Entry> entries(int from, int count) {
        List<CachedHeads.Entry> out = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            out.add(entry(i, i % 7 != 0));
        }
        return out;
    }

    @Test
    void every_field_of_a_head_reads_back_equal() {
        List<CachedHeads.Entry> written = entries(0, 60);
        Map<String, CachedHeads.Entry> read = CachedHeads.read("repo-1", CachedHeads.write("repo-1", new byte[0], written)).entries();
        assertThat(read).hasSize(written.size());
        for (CachedHeads.Entry e : written) {
            assertThat(read.get(e.id())).isEqualTo(e);
        }
        assertThat(CachedHeads.read("repo-1", CachedHeads.write("repo-1", new byte[0], List.of())).entries()).isEmpty();
        byte[] base = {1, 2, 3};
        assertThat(CachedHeads.read("repo-1", CachedHeads.write("repo-1", base, written)).base()).isEqualTo(base);
    }

    @Test
    void a_file_of_another_repository_or_malformed_is_refused() {
        byte[] plain = CachedHeads.write("repo-1", new byte[0], entries(0, 5));
        assertThatThrownBy(() -> CachedHeads.read("repo-2", plain)).hasMessageContaining("repo-1");
        byte[] longer = java.util.Arrays.copyOf(plain, plain.length + 1);
        assertThatThrownBy(() -> CachedHeads.read("repo-1", longer)).hasMessageContaining("follow");
        for (int cut : new int[] {0, 3, 9, plain.length / 2, plain.length - 1}) {
            byte[] shorter = java.util.Arrays.copyOf(plain, cut);
            assertThatThrownBy(() -> CachedHeads.read("repo-1", shorter)).isInstanceOf(RuntimeException.class);
        }
        byte[] otherVersion = plain.clone();
        otherVersion[3] = '1'; // MBH1: before writers' snapshots were cached with their token
        assertThatThrownBy(() -> CachedHeads.read("repo-1", otherVersion)).hasMessageContaining("version");
    }

    @Test
    void the_file_is_sealed_by_the_chain_and_a_damaged_one_reads_as_empty() throws Exception {
        LocalCache cache = new LocalCache(temp, "repo-1", new Codec(List.of(Transformers.gzip())));
        List<CachedHeads.Entry> written = entries(0, 30);
        cache.updateHeads(LocalCache.Heads.NONE, byId(written));
        assertThat(cache.loadHeads().entries()).isEqualTo(byId(written));
        Path file = temp.resolve("repo-1").resolve("heads");
        byte[] sealed = Files.readAllBytes(file);
        assertThat(new String(sealed, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("host-a")
                .doesNotContain(written.get(0).id());

        byte[] flipped = sealed.clone();
        flipped[flipped.length / 3] ^= 0x01;
        Files.write(file, flipped);
        assertThat(cache.loadHeads().entries()).isEmpty();
        Files.write(file, java.util.Arrays.copyOf(sealed, sealed.length - 1));
        assertThat(cache.loadHeads().entries()).isEmpty();
        // sealed under another chain (another repository's keys): not usable either
        new LocalCache(temp, "repo-1", new Codec(List.of())).updateHeads(LocalCache.Heads.NONE, byId(written));
        assertThat(cache.loadHeads().entries()).isEmpty();
    }

    @Test
    void the_per_snapshot_files_of_earlier_versions_are_removed() throws Exception {
        Path old = Files.createDirectories(temp.resolve("repo-1").resolve("snapshots"));
        Files.write(old.resolve("20260101-000000-00000000.300.1"), new byte[] {1, 2, 3});
        LocalCache cache = new LocalCache(temp, "repo-1", new Codec(List.of()));
        cache.updateHeads(LocalCache.Heads.NONE, byId(entries(0, 2)));
        assertThat(old).doesNotExist();
        assertThat(cache.loadHeads().entries()).hasSize(2);
    }

    @Test
    void additions_go_to_a_small_file_that_counts_only_beside_the_file_it_adds_to() throws Exception {
        LocalCache cache = new LocalCache(temp, "repo-1", new Codec(List.of(Transformers.gzip())));
        Path all = temp.resolve("repo-1").resolve("heads");
        Path added = temp.resolve("repo-1").resolve("heads-added");
        List<CachedHeads.Entry> base = entries(0, 600);
        cache.updateHeads(LocalCache.Heads.NONE, byId(base));
        byte[] baseFile = Files.readAllBytes(all);

        // a listing that found two new snapshots
        LocalCache.Heads loaded = cache.loadHeads();
        assertThat(loaded.entries()).isEqualTo(byId(base));
        Map<String, CachedHeads.Entry> now = new java.util.HashMap<>(loaded.entries());
        entries(600, 2).forEach(e -> now.put(e.id(), e));
        cache.updateHeads(loaded, now);
        assertThat(Files.readAllBytes(all)).as("the file of all heads is not rewritten").isEqualTo(baseFile);
        assertThat(added).exists();
        assertThat(cache.loadHeads().entries()).isEqualTo(now);
        assertThat(cache.loadHeads().added()).hasSize(2);

        // and the next listing one more: the additions file holds the three
        loaded = cache.loadHeads();
        Map<String, CachedHeads.Entry> later = new java.util.HashMap<>(loaded.entries());
        entries(602, 1).forEach(e -> later.put(e.id(), e));
        cache.updateHeads(loaded, later);
        assertThat(Files.readAllBytes(all)).isEqualTo(baseFile);
        assertThat(cache.loadHeads().entries()).isEqualTo(later);
        assertThat(cache.loadHeads().added()).hasSize(3);

        // nothing changed: nothing written
        long time = Files.getLastModifiedTime(added).toMillis();
        Files.setLastModifiedTime(added, java.nio.file.attribute.FileTime.fromMillis(time - 10_000));
        loaded = cache.loadHeads();
        cache.updateHeads(loaded, new java.util.HashMap<>(loaded.entries()));
        assertThat(Files.getLastModifiedTime(added).toMillis()).isEqualTo(time - 10_000);

        // a damaged additions file costs only its own heads
        byte[] addedFile = Files.readAllBytes(added);
        byte[] flipped = addedFile.clone();
        flipped[flipped.length / 2] ^= 0x10;
        Files.write(added, flipped);
        assertThat(cache.loadHeads().entries()).isEqualTo(byId(base));
        Files.write(added, addedFile);

        // another process rewrote the file of all heads (the same heads, another file): the additions no longer count
        new LocalCache(temp, "repo-1", new Codec(List.of(Transformers.gzip()))).updateHeads(LocalCache.Heads.NONE,
                byId(entries(0, 599)));
        Files.write(added, addedFile);
        assertThat(cache.loadHeads().entries()).isEqualTo(byId(entries(0, 599)));

        // a snapshot no longer listed: the file of all heads is rewritten, the additions file removed
        cache.updateHeads(LocalCache.Heads.NONE, later);
        Files.write(added, addedFile);
        loaded = cache.loadHeads();
        Map<String, CachedHeads.Entry> fewer = new java.util.HashMap<>(loaded.entries());
        fewer.remove(base.get(5).id());
        cache.updateHeads(loaded, fewer);
        assertThat(added).doesNotExist();
        assertThat(cache.loadHeads().entries()).isEqualTo(fewer);

        // more additions than a file of additions takes: the file of all heads is rewritten
        loaded = cache.loadHeads();
        Map<String, CachedHeads.Entry> many = new java.util.HashMap<>(loaded.entries());
        entries(1000, LocalCache.maxAdded(700) + 1).forEach(e -> many.put(e.id(), e));
        cache.updateHeads(loaded, many);
        assertThat(added).doesNotExist();
        assertThat(cache.loadHeads().entries()).isEqualTo(many);
    }

    /**
     * Processes replacing the file at once (threads, each with its own LocalCache, as each process has): every read
     * sees one writer's file whole, never a mix or a part of one.
     */
    @Test
    void concurrent_writers_leave_a_whole_file_for_every_reader() throws Exception {
        List<List<CachedHeads.Entry>> sets = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            sets.add(entries(w * 1000, 1500 + w * 100)); // about half a MiB each, written in several system calls
        }
        Set<Map<String, CachedHeads.Entry>> valid = sets.stream().map(CachedHeadsTest::byId).collect(Collectors.toSet());
        new LocalCache(temp, "repo-1", new Codec(List.of())).updateHeads(LocalCache.Heads.NONE, byId(sets.get(0)));
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Integer>> readers = new ArrayList<>();
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                List<CachedHeads.Entry> mine = sets.get(w);
                writers.add(pool.submit(() -> {
                    LocalCache cache = new LocalCache(temp, "repo-1", new Codec(List.of()));
                    for (int round = 0; round < 15; round++) {
                        cache.updateHeads(LocalCache.Heads.NONE, byId(mine));
                    }
                    return null;
                }));
            }
            for (int r = 0; r < 2; r++) {
                readers.add(pool.submit(() -> {
                    LocalCache cache = new LocalCache(temp, "repo-1", new Codec(List.of()));
                    int reads = 0;
                    while (!stop.get() || reads == 0) {
                        Map<String, CachedHeads.Entry> seen = cache.loadHeads().entries();
                        assertThat(valid.contains(seen)).as("a read saw a file that no writer wrote whole (%d heads)",
                                seen.size()).isTrue();
                        reads++;
                    }
                    return reads;
                }));
            }
            for (Future<?> w : writers) {
                w.get(60, TimeUnit.SECONDS);
            }
            stop.set(true);
            for (Future<Integer> r : readers) {
                assertThat(r.get(60, TimeUnit.SECONDS)).isPositive();
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        assertThat(valid.contains(new LocalCache(temp, "repo-1", new Codec(List.of())).loadHeads().entries())).isTrue();
        try (var left = Files.list(temp.resolve("repo-1"))) {
            assertThat(left.map(p -> p.getFileName().toString()).toList()).as("no temporary file is left").containsExactly("heads");
        }
    }

    static Map<String, CachedHeads.Entry> byId(List<CachedHeads.Entry> entries) {
        return entries.stream().collect(Collectors.toMap(CachedHeads.Entry::id, Function.identity()));
    }
}
