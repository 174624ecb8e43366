package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.encryption.AccessControl;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.FileNames;
import com.mintreplica.backup.core.source.SourceId;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer's parent cache (format MBC2) on a real directory with real AES-GCM: what a backup hands it in any order
 * comes back a directory at a time, through sorted runs on disk and merge rounds; a file that is damaged, truncated,
 * has its blocks swapped or spliced from another file, or is another source's, is not used at all.
 */
@Timeout(120)
class ParentCacheTest {
    private static final SourceId SOURCE = new SourceId("fs", "/srv/data");
    private static final SourceId OTHER_SOURCE = new SourceId("fs", "/srv/other");

    @TempDir
    Path temp;

    private final SecretKey key = randomKey();

    private static SecretKey randomKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return new SecretKeySpec(k, "HmacSHA256");
    }

    private ParentCache cache(SecretKey with, int blockBytes, long runBytes) {
        return new ParentCache(new AccessControl.ParentCache(temp.resolve("cache"), with), "repo-1", blockBytes, runBytes);
    }

    private static Snapshot snapshot(String id, SourceId source) {
        return new Snapshot(id, Instant.parse("2026-12-05T12:00:00Z"), "app1", source, Optional.empty(), Set.of(),
                Optional.empty(), new Snapshot.Stats(0, 0, 0, 0, 0, 0), Map.of(), List.of(), "");
    }

    private static Manifest.Item file(String path, String token, long size, int blobs, int seed) {
        List<BlobId> ids = new ArrayList<>();
        for (int i = 0; i < blobs; i++) {
            byte[] b = new byte[BlobId.LENGTH];
            ByteBuffer.wrap(b).putInt(seed).putInt(i);
            ids.add(BlobId.wrap(b));
        }
        return Manifest.Item.chunked(Entry.regular(path).size(size).changeToken(token).build(), size, ids);
    }

    private static String directoryOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    /** Writes {@code items} as the cache of (app1, source), handed over from four threads in a shuffled order. */
    private static void save(ParentCache cache, SourceId source, List<Manifest.Item> items, String snapshotId)
            throws Exception {
        List<Manifest.Item> shuffled = new ArrayList<>(items);
        Collections.shuffle(shuffled, new Random(7));
        try (ParentCache.Writer writer = cache.writer("app1", source)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int from = t;
                    done.add(pool.submit(() -> {
                        for (int i = from; i < shuffled.size(); i += 4) {
                            writer.add(shuffled.get(i));
                        }
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            writer.commit(snapshot(snapshotId, source));
        }
    }

    private List<Path> filesIn(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void what_a_backup_hands_over_in_any_order_comes_back_a_directory_at_a_time() throws Exception {
        // directories whose names sort around '/' ("a-b" < "a/b" < "a0"), deep ones, the root, non-ASCII names
        String[] dirs = {"", "a", "a/b", "a-b", "a0", "a/b/c/d/e", "z", "ü/ß", "a/b/c"};
        List<Manifest.Item> items = new ArrayList<>();
        Map<String, Map<String, Manifest.Item>> expected = new TreeMap<>();
        Random random = new Random(1);
        for (int i = 0; i < 6000; i++) {
            String dir = dirs[i % dirs.length];
            String name = "f" + i + (i % 5 == 0 ? "-é" : "") + ".bin";
            String path = dir.isEmpty() ? name : dir + "/" + name;
            Manifest.Item item = file(path, "token-" + i, random.nextInt(1 << 20), i % 4, i);
            items.add(item);
            expected.computeIfAbsent(dir, d -> new HashMap<>()).put(name, item);
        }
        // what the cache skips: a file without change token, a directory, a single-object file
        List<Manifest.Item> handed = new ArrayList<>(items);
        handed.add(Manifest.Item.chunked(Entry.regular("a/no-token").size(1).build(), 1, List.of()));
        handed.add(Manifest.Item.noContent(Entry.directory("a/sub").build()));
        handed.add(Manifest.Item.single(Entry.regular("a/single").size(1).changeToken("t").build(), 1, "obj", "00"));
        // small runs and blocks: about 300 runs (two merge rounds of ParentCache.FAN_IN) and 1,000 blocks
        ParentCache cache = cache(key, 300, 4_000);
        save(cache, SOURCE, handed, "20261205T120000Z-0001");

        Path file = cache.file("app1", SOURCE);
        assertThat(filesIn(temp.resolve("cache"))).as("the cache file only: no run or temporary file is left")
                .containsExactly(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");

        try (ParentCache.Reader reader = cache.load("app1", SOURCE).orElseThrow()) {
            assertThat(reader.snapshotId()).isEqualTo("20261205T120000Z-0001");
            assertThat(reader.files()).isEqualTo(items.size());
            // in the walk's order, then in a shuffled one (another decoded block each time)
            List<String> order = new ArrayList<>(expected.keySet());
            for (int round = 0; round < 2; round++) {
                for (String dir : order) {
                    assertThat(served(reader, dir, expected.get(dir).keySet())).as("files of '%s'", dir)
                            .isEqualTo(expected.get(dir));
                }
                Collections.shuffle(order, new Random(3));
            }
            assertThat(reader.file("a/sub")).as("a directory").isNull();
            assertThat(reader.file("a/no-token")).isNull();
            assertThat(reader.file("a/single")).isNull();
            assertThat(reader.file("nothing/here")).isNull();
            assertThat(reader.file("a/b/c/d/f1.bin")).as("a name of another directory").isNull();
            assertThat(reader.file("")).isNull();
            assertThat(reader.file("~")).as("after every block's first path").isNull();
        }

        // a flat manifest (Store.writeManifest of a writer's flat snapshot) replaces it the same way
        cache.save(new Manifest(snapshot("20261205T130000Z-0002", SOURCE), Layout.CHUNKED, items.subList(0, 10)));
        try (ParentCache.Reader reader = cache.load("app1", SOURCE).orElseThrow()) {
            assertThat(reader.snapshotId()).isEqualTo("20261205T130000Z-0002");
            assertThat(reader.files()).isEqualTo(10);
        }
        assertThat(cache.load("app1", OTHER_SOURCE)).isEmpty();
        assertThat(cache.load("app2", SOURCE)).isEmpty();
    }

    /** Equal-sized records, so blocks are equal-sized and can be swapped or spliced without moving any offset. */
    private static List<Manifest.Item> uniform(int files) {
        List<Manifest.Item> items = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            items.add(file(String.format("d%02d/f%05d", i / 100, i), String.format("t%05d", i), 1000 + i, 1, i));
        }
        return items;
    }

    /** The offsets of the data blocks of an MBC2 file (from the length prefixes; the last 8 bytes end the walk). */
    private static List<long[]> blocks(byte[] file) {
        long trailer = ByteBuffer.wrap(file, file.length - 8, 8).getLong();
        List<long[]> blocks = new ArrayList<>();
        long at = 4 + 16;
        while (at < trailer) {
            int length = ByteBuffer.wrap(file, (int) at, 4).getInt();
            blocks.add(new long[] {at, 4 + length});
            at += 4 + length;
        }
        assertThat(at).isEqualTo(trailer);
        return blocks;
    }

    private static byte[] swap(byte[] file, long[] a, long[] b) {
        assertThat(a[1]).isEqualTo(b[1]);
        byte[] out = file.clone();
        System.arraycopy(file, (int) a[0], out, (int) b[0], (int) a[1]);
        System.arraycopy(file, (int) b[0], out, (int) a[0], (int) b[1]);
        return out;
    }

    @Test
    void a_damaged_truncated_reordered_spliced_foreign_or_old_file_is_not_used() throws Exception {
        ParentCache cache = cache(key, 1000, 1 << 20);
        save(cache, SOURCE, uniform(1000), "20261205T120000Z-0001");
        save(cache, OTHER_SOURCE, uniform(1000), "20261205T120000Z-0002");
        Path file = cache.file("app1", SOURCE);
        byte[] good = Files.readAllBytes(file);
        byte[] other = Files.readAllBytes(cache.file("app1", OTHER_SOURCE));
        List<long[]> blocks = blocks(good);
        assertThat(blocks).hasSizeGreaterThan(10);
        assertThat(blocks(other)).hasSameSizeAs(blocks);

        // What the file's head, trailer or length gives away: the file does not load.
        Map<String, byte[]> bad = new LinkedHashMap<>();
        for (int at : new int[] {0, 5, good.length - 30, good.length - 1}) {
            byte[] flipped = good.clone();
            flipped[at] ^= 0x10;
            bad.put("a bit flipped at " + at, flipped);
        }
        for (int length : new int[] {0, 3, 20, (int) blocks.get(5)[0], (int) (blocks.get(blocks.size() - 1)[0]
                + blocks.get(blocks.size() - 1)[1]), good.length - 8, good.length - 1}) {
            bad.put("truncated to " + length + " bytes", Arrays.copyOf(good, length));
        }
        bad.put("with a byte appended", Arrays.copyOf(good, good.length + 1));
        bad.put("another source's cache file", other);
        byte[] old = good.clone();
        old[3] = '1';
        bad.put("this format under the previous one's magic (MBC1)", old);
        for (Map.Entry<String, byte[]> c : bad.entrySet()) {
            Files.write(file, c.getValue());
            assertThat(cache.load("app1", SOURCE)).as(c.getKey()).isEmpty();
        }
        // sealed under another writer's key
        Files.write(file, good);
        assertThat(cache(randomKey(), 1000, 1 << 20).load("app1", SOURCE)).isEmpty();

        // What is inside a data block: found when the walk first reads that block (loading opens only the trailer).
        // The directories before it are served as they were stored (their blocks are authenticated on their own);
        // nothing from the damaged block on is.
        Map<String, Integer> inBlocks = new LinkedHashMap<>();
        byte[] first = good.clone();
        first[24] ^= 0x10;
        inBlocks.put("a bit flipped in block 0", 0);
        Map<String, byte[]> damaged = new LinkedHashMap<>();
        damaged.put("a bit flipped in block 0", first);
        int middle = blocks.size() / 2; // in d04 or d05
        byte[] flipped = good.clone();
        flipped[(int) blocks.get(middle)[0] + 40] ^= 0x10;
        damaged.put("a bit flipped in block " + middle, flipped);
        inBlocks.put("a bit flipped in block " + middle, middle);
        damaged.put("blocks " + (middle + 2) + " and " + (middle + 3) + " swapped",
                swap(good, blocks.get(middle + 2), blocks.get(middle + 3)));
        inBlocks.put("blocks " + (middle + 2) + " and " + (middle + 3) + " swapped", middle + 2);
        byte[] spliced = good.clone();
        long[] late = blocks.get(blocks.size() - 2);
        System.arraycopy(other, (int) late[0], spliced, (int) late[0], (int) late[1]);
        damaged.put("block " + (blocks.size() - 2) + " from another cache file", spliced);
        inBlocks.put("block " + (blocks.size() - 2) + " from another cache file", blocks.size() - 2);
        Files.write(file, good);
        List<Map<String, Manifest.Item>> stored = walk(cache);
        assertThat(stored).allSatisfy(d -> assertThat(d).hasSize(100));
        for (Map.Entry<String, byte[]> c : damaged.entrySet()) {
            Files.write(file, c.getValue());
            List<Map<String, Manifest.Item>> read = walk(cache);
            int failed = 0;
            while (failed < read.size() && read.get(failed).equals(stored.get(failed))) {
                failed++;
            }
            assertThat(failed).as(c.getKey() + ": the damage is found").isLessThan(read.size());
            // files are looked up one by one: those of the damaged block's directory before that block are served
            assertThat(stored.get(failed)).as(c.getKey()).containsAllEntriesOf(read.get(failed));
            if (inBlocks.get(c.getKey()) > 0) {
                // equal-sized records: block b starts about file 1,000 b / blocks, in directory (that / 100)
                int directory = inBlocks.get(c.getKey()) * 1000 / blocks.size() / 100;
                assertThat(failed).as(c.getKey() + ": the directories of the blocks before it are served")
                        .isGreaterThanOrEqualTo(Math.max(1, directory - 1)).isLessThanOrEqualTo(directory);
            } else {
                assertThat(failed).isZero();
            }
            assertThat(read.subList(failed + 1, read.size())).as(c.getKey() + ": nothing after it").allSatisfy(
                    d -> assertThat(d).isEmpty());
        }
        // and the good file is used
        Files.write(file, good);
        try (ParentCache.Reader reader = cache.load("app1", SOURCE).orElseThrow()) {
            assertThat(reader.file("d07/f00777")).isNotNull();
        }
    }

    /** The files {@code names} of {@code dir} that the reader serves, by name, looked up as a backup does. */
    private static Map<String, Manifest.Item> served(ParentCache.Reader reader, String dir, java.util.Collection<String> names) {
        Map<String, Manifest.Item> out = new HashMap<>();
        for (String name : names) {
            Manifest.Item item = reader.file(dir.isEmpty() ? name : dir + "/" + name);
            if (item != null) {
                out.put(name, item);
            }
        }
        return out;
    }

    /** The directories d00 to d09 of the cache of app1 and SOURCE, in the walk's order, as one backup reads them. */
    private static List<Map<String, Manifest.Item>> walk(ParentCache cache) {
        try (ParentCache.Reader reader = cache.load("app1", SOURCE).orElseThrow()) {
            List<Map<String, Manifest.Item>> out = new ArrayList<>();
            for (int d = 0; d < 10; d++) {
                List<String> names = new ArrayList<>();
                for (int f = 100 * d; f < 100 * d + 100; f++) {
                    names.add(String.format("f%05d", f));
                }
                out.add(served(reader, String.format("d%02d", d), names));
            }
            return out;
        }
    }

    @Test
    void a_block_changed_after_loading_is_not_used_nor_anything_after_it() throws Exception {
        ParentCache cache = cache(key, 1000, 1 << 20);
        save(cache, SOURCE, uniform(1000), "20261205T120000Z-0001");
        Path file = cache.file("app1", SOURCE);
        byte[] good = Files.readAllBytes(file);
        List<long[]> blocks = blocks(good);
        try (ParentCache.Reader reader = cache.load("app1", SOURCE).orElseThrow()) {
            assertThat(reader.file("d00/f00000")).isNotNull();
            assertThat(reader.file("d00/f00099")).isNotNull();
            // blocks of d09 and after swapped in place once the file was checked
            Files.write(file, swap(good, blocks.get(blocks.size() - 2), blocks.get(blocks.size() - 3)));
            int served = 0;
            while (served < 1000 && reader.file(String.format("d%02d/f%05d", served / 100, served)) != null) {
                served++;
            }
            assertThat(served).as("the damage is found").isGreaterThan(100).isLessThan(1000);
            for (int f = served; f < 1000; f++) {
                assertThat(reader.file(String.format("d%02d/f%05d", f / 100, f))).as("after it").isNull();
            }
            assertThat(reader.file("d01/f00100")).as("nothing is used once a block failed").isNull();
        }
    }

    @Test
    void a_backup_that_does_not_commit_leaves_the_cache_as_it_was_and_no_run_behind() throws Exception {
        ParentCache cache = cache(key, 1000, 2_000);
        save(cache, SOURCE, uniform(50), "20261205T120000Z-0001");
        byte[] before = Files.readAllBytes(cache.file("app1", SOURCE));
        try (ParentCache.Writer writer = cache.writer("app1", SOURCE)) {
            for (Manifest.Item item : uniform(1000)) {
                writer.add(item);
            }
            assertThat(filesIn(temp.resolve("cache")).size()).as("runs spilled").isGreaterThan(10);
        }
        assertThat(filesIn(temp.resolve("cache"))).containsExactly(cache.file("app1", SOURCE));
        assertThat(Files.readAllBytes(cache.file("app1", SOURCE))).isEqualTo(before);
    }

    /**
     * {@code parent-cache/mbc1-*} was written by the previous version's {@code ParentCache.save} (format MBC1, one
     * sealed message, created 0644) with the cache key of bytes 1..32, repository "repo-1", host app1, source
     * fs:/srv/data: files a/b/c.txt, a/b.txt, a-b/x, root.txt, a/b/d.txt, z/ü.bin (file i: token "token-i", size
     * 100 + i, i % 3 + 1 blob ids whose first 8 bytes are i and the blob's number).
     */
    @Test
    void a_file_of_the_previous_format_is_read_once_and_rewritten_in_this_one() throws Exception {
        byte[] k = new byte[32];
        for (int i = 0; i < 32; i++) {
            k[i] = (byte) (i + 1);
        }
        ParentCache cache = new ParentCache(new AccessControl.ParentCache(temp.resolve("cache"),
                new SecretKeySpec(k, "HmacSHA256")), "repo-1");
        Path file = cache.file("app1", SOURCE);
        assertThat(file.getFileName().toString()).isEqualTo("3c9402a400c4629183ddfd896079d0a6");
        Files.createDirectories(file.getParent());
        byte[] v1;
        try (var in = getClass().getResourceAsStream("/parent-cache/mbc1-3c9402a400c4629183ddfd896079d0a6")) {
            v1 = in.readAllBytes();
        }
        assertThat(new String(v1, 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("MBC1");

        // damaged, it is not used (and left for the next backup to replace)
        byte[] damaged = v1.clone();
        damaged[damaged.length - 3] ^= 1;
        Files.write(file, damaged);
        assertThat(cache.load("app1", SOURCE)).isEmpty();

        Files.write(file, v1);
        String[] paths = {"a/b/c.txt", "a/b.txt", "a-b/x", "root.txt", "a/b/d.txt", "z/ü.bin"};
        Map<String, Map<String, Manifest.Item>> expected = new TreeMap<>();
        for (int i = 0; i < paths.length; i++) {
            expected.computeIfAbsent(directoryOf(paths[i]), d -> new HashMap<>())
                    .put(paths[i].substring(paths[i].lastIndexOf('/') + 1), file(paths[i], "token-" + i, 100 + i, i % 3 + 1, i));
        }
        try (ParentCache.Reader reader = cache.load("app1", SOURCE).orElseThrow()) {
            assertThat(reader.snapshotId()).isEqualTo("20261201T000000Z-0001");
            assertThat(reader.files()).isEqualTo(paths.length);
            for (Map.Entry<String, Map<String, Manifest.Item>> dir : expected.entrySet()) {
                assertThat(served(reader, dir.getKey(), dir.getValue().keySet())).as(dir.getKey())
                        .isEqualTo(dir.getValue());
            }
        }
        assertThat(new String(Files.readAllBytes(file), 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("MBC2");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(filesIn(temp.resolve("cache"))).containsExactly(file);
    }

    /** The files held before a run is written take a 32nd of the heap, between 1 and 8 MiB (it was 8 MiB always). */
    @Test
    void the_files_held_before_a_run_is_written_are_a_share_of_the_heap() {
        assertThat(ParentCache.runBytes(64L << 20)).isEqualTo(2L << 20);
        assertThat(ParentCache.runBytes(128L << 20)).isEqualTo(4L << 20);
        assertThat(ParentCache.runBytes(16L << 20)).isEqualTo(1L << 20);
        assertThat(ParentCache.runBytes(4L << 30)).isEqualTo(8L << 20);
    }

    @Test
    void files_are_ordered_by_directory_in_the_order_a_walk_enters_directories_then_by_name() {
        List<String> walk = List.of("z.txt", "a/x", "a/b/y", "a/b/c/x", "a/b-c/x", "a-b/x", "a-b/y", "a.d/x", "a0/x");
        List<String> shuffled = new ArrayList<>(walk);
        Collections.shuffle(shuffled, new Random(5));
        shuffled.sort(ParentCache.Record::comparePaths);
        assertThat(shuffled).containsExactlyElementsOf(walk);
    }

    @Test
    void names_that_are_not_utf8_come_back_byte_for_byte() throws Exception {
        // Names as the directory source makes them of bytes that are not UTF-8 (FileNames: escaped bytes). Written as
        // UTF-8, each escaped byte became '?': "b\xff" and "\xfe\xff" read back out of order (the whole cache was
        // refused, every file read again at each backup) and "\xff" was never found.
        String[] names = {"a", "b" + escaped(0xff), escaped(0xfe) + escaped(0xff), escaped(0xff), "caf" + escaped(0xe9) + ".txt"};
        String[] dirs = {"", "d" + escaped(0xff), "d" + escaped(0xff) + "/sub"};
        List<Manifest.Item> items = new ArrayList<>();
        Map<String, Map<String, Manifest.Item>> expected = new TreeMap<>();
        int i = 0;
        for (String dir : dirs) {
            for (String name : names) {
                Manifest.Item item = file(dir.isEmpty() ? name : dir + "/" + name, "token-" + i, 100 + i, 1, i);
                expected.computeIfAbsent(dir, d -> new HashMap<>()).put(name, item);
                items.add(item);
                i++;
            }
        }
        ParentCache cache = cache(key, 64, 4_000);
        save(cache, SOURCE, items, "20261205T120000Z-0001");

        try (ParentCache.Reader reader = cache.load("app1", SOURCE).orElseThrow()) {
            for (String dir : dirs) {
                assertThat(served(reader, dir, expected.get(dir).keySet())).as("files of '%s'", FileNames.display(dir))
                        .isEqualTo(expected.get(dir));
            }
        }
    }

    private static String escaped(int b) {
        return FileNames.decode(new byte[] {(byte) b});
    }
}
