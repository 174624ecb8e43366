package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.source.Entry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * A directory of many entries is not held as one object per entry: a backup encodes its listing in batches while the
 * walk is still in it, compares with the parent's listing through compact records, and readers parse a large listing's
 * entries when they are asked for. The bytes, the ids and what a reader sees are those of a listing made whole.
 */
class LargeListingTest {
    private static final Instant TIME = Instant.parse("2026-12-07T08:00:00.123456789Z");

    static BlobId id(int n) {
        byte[] b = new byte[32];
        b[0] = (byte) (n >>> 24);
        b[1] = (byte) (n >>> 16);
        b[2] = (byte) (n >>> 8);
        b[3] = (byte) n;
        b[31] = 7;
        return BlobId.wrap(b);
    }

    private static Entry file(String path, int n) {
        return Entry.regular(path).size(n).mode(0644).modified(TIME).changeToken("1:" + n + ":" + n).build();
    }

    private static List<TreeFormat.Child> listing(String directory, int files) {
        List<TreeFormat.Child> children = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            String name = String.format("file-%07d.log", i);
            Entry e = file(directory + "/" + name, i);
            children.add(new TreeFormat.Child(name, Manifest.Item.chunked(e, i, List.of(id(i))), Optional.empty(), false));
            if (i % 1000 == 500) {
                Entry d = Entry.directory(directory + "/sub-" + i).mode(0755).build();
                children.add(new TreeFormat.Child("sub-" + i, Manifest.Item.noContent(d), Optional.of(id(-i)), false));
            }
        }
        return children;
    }

    @Test
    void a_large_listing_decodes_to_the_entries_of_a_small_one_parsed_when_asked_for() {
        List<TreeFormat.Child> children = listing("up", 20_000);
        byte[] plain = TreeFormat.encode(children);
        assertThat(plain.length).isGreaterThan(TreeFormat.PARSED_ON_ACCESS_FROM);

        TreeFormat.Node node = TreeFormat.decode(id(1), "up", plain);

        assertThat(node.children()).isNotInstanceOf(ArrayList.class).hasSize(children.size());
        assertThat(node.children()).isEqualTo(children);
        assertThat(node.child("sub-10500").subtree()).contains(id(-10500));
        assertThat(node.child("file-0019999.log").item().blobs()).containsExactly(id(19_999));
    }

    @Test
    void a_large_listing_that_names_an_entry_twice_is_damaged_when_it_is_read_not_when_the_entry_is_reached() {
        List<TreeFormat.Child> children = new ArrayList<>(listing("up", 20_000));
        children.add(children.get(3));
        byte[] plain = TreeFormat.encode(children);

        assertThatThrownBy(() -> TreeFormat.decode(id(1), "up", plain)).isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("'file-0000003.log' appears twice").hasMessageContaining("directory 'up'");
    }

    @Test
    void the_parent_listing_keeps_what_the_comparison_needs_in_fewer_bytes_than_its_json() {
        List<TreeFormat.Child> children = new ArrayList<>(listing("up", 20_000));
        Entry noToken = Entry.regular("up/no-token").size(3).build();
        children.add(new TreeFormat.Child("no-token", Manifest.Item.chunked(noToken, 3, List.of(id(5))), Optional.empty(), false));
        Entry single = Entry.regular("up/single").size(3).changeToken("9:9:9").build();
        children.add(new TreeFormat.Child("single", Manifest.Item.single(single, 3, "files/x", "ab"), Optional.empty(), false));
        byte[] plain = TreeFormat.encode(children);

        ParentTree parent = ParentTree.read(id(1), "up", plain);

        Entry now = file("up/file-0012345.log", 12_345);
        Manifest.Item same = parent.file("file-0012345.log", now);
        assertThat(same.entry()).isSameAs(now);
        assertThat(same.size()).isEqualTo(12_345);
        assertThat(same.blobs()).containsExactly(id(12_345));
        Entry touched = Entry.regular("up/file-0012345.log").size(12_345).changeToken("1:12345:99").build();
        assertThat(parent.file("file-0012345.log", touched)).isNull();
        assertThat(parent.file("file-9999999.log", now)).isNull();
        assertThat(parent.file("no-token", Entry.regular("up/no-token").size(3).changeToken("").build())).isNull();
        assertThat(parent.file("single", Entry.regular("up/single").size(3).changeToken("9:9:9").build())).isNull();
        assertThat(parent.file("sub-500", file("up/sub-500", 500))).isNull();
        assertThat(parent.directory("sub-500")).isEqualTo(id(-500));
        assertThat(parent.directory("file-0000001.log")).isNull();
        // records of a token, a size and one id, and the name table: less than this lean JSON (a file system's entries,
        // with owners, access times and modes, take some 360 bytes of it), a tenth of the parsed objects
        assertThat(parent.bytes()).isLessThan(plain.length * 2 / 3);
        assertThat(parent.bytes() / 20_000).isLessThan(150);
    }

    /** The content ids of {@link #withABigFile}'s file of 3,000 chunks. */
    private static final List<BlobId> BIG_CHUNKS = java.util.stream.IntStream.range(0, 3_000)
            .mapToObj(i -> id(1_000_000 + i)).toList();

    /**
     * {@code children}, then "zz-big.img", a file of 3,000 chunks (a record of some 96 KiB, more than one of the
     * parent's 64 KiB blocks or a spool's window), and "zz-small" after it.
     */
    private static List<TreeFormat.Child> withABigFile(List<TreeFormat.Child> children) {
        List<TreeFormat.Child> out = new ArrayList<>(children);
        out.add(new TreeFormat.Child("zz-big.img", Manifest.Item.chunked(file("up/zz-big.img", 3_000_000), 3_000_000,
                BIG_CHUNKS), Optional.empty(), false));
        out.add(new TreeFormat.Child("zz-small", Manifest.Item.chunked(file("up/zz-small", 9), 9, List.of(id(9))),
                Optional.empty(), false));
        return out;
    }

    @Test
    void a_parent_record_longer_than_a_block_and_those_around_it_are_found() {
        // a file of 3,000 chunks has a record of some 96 KiB, more than one of the parent's 64 KiB blocks
        List<TreeFormat.Child> children = withABigFile(listing("up", 3_000));
        Entry big = file("up/zz-big.img", 3_000_000);
        Entry after = file("up/zz-small", 9);

        ParentTree parent = ParentTree.read(id(1), "up", TreeFormat.encode(children));

        assertThat(parent.file("zz-big.img", big).blobs()).isEqualTo(BIG_CHUNKS);
        assertThat(parent.file("zz-small", after).blobs()).containsExactly(id(9));
        assertThat(parent.file("file-0002999.log", file("up/file-0002999.log", 2_999)).blobs()).containsExactly(id(2_999));
        assertThat(parent.directory("sub-2500")).isEqualTo(id(-2_500));
    }

    /**
     * Past 4 MiB of records the parent's records go to a temporary file and are read back when the walk asks for them:
     * the heap keeps the name table, not some 190 bytes an entry (the unchanged backup of a directory of 300,000 files
     * did not finish in 128 MiB). Records on both sides of the switch, one longer than the file's window, and
     * directories are found as before.
     */
    @Test
    void a_parent_listing_of_many_records_keeps_them_in_a_temporary_file() {
        int files = 100_000;
        List<TreeFormat.Child> children = withABigFile(listing("up", files));
        Entry big = file("up/zz-big.img", 3_000_000);
        Entry after = file("up/zz-small", 9);

        ParentTree parent = ParentTree.read(id(1), "up", TreeFormat.encode(children));

        assertThat(parent.spooled()).isTrue();
        for (int i = 0; i < files; i += 997) {
            String name = String.format("file-%07d.log", i);
            assertThat(parent.file(name, file("up/" + name, i)).blobs()).as(name).containsExactly(id(i));
        }
        String last = String.format("file-%07d.log", files - 1);
        assertThat(parent.file(last, file("up/" + last, files - 1)).size()).isEqualTo(files - 1);
        Entry touched = Entry.regular("up/" + last).size(files - 1).changeToken("1:0:0").build();
        assertThat(parent.file(last, touched)).isNull();
        assertThat(parent.file("zz-big.img", big).blobs()).isEqualTo(BIG_CHUNKS);
        assertThat(parent.file("zz-small", after).blobs()).containsExactly(id(9));
        assertThat(parent.directory("sub-500")).isEqualTo(id(-500));
        assertThat(parent.directory("sub-99500")).isEqualTo(id(-99_500));
        assertThat(parent.directory(last)).isNull();
        assertThat(parent.file("sub-99500", file("up/sub-99500", 1))).isNull();
        // the first 4 MiB of records, the spool's buffers and the name table (at most 54 bytes a name)
        assertThat(parent.bytes()).isLessThan(heldWhenSpooled(children.size()));
        // closed when the walk leaves the directory: the file is gone, and so are the records in it
        parent.close();
        assertThatThrownBy(() -> parent.file("file-0085000.log", file("up/file-0085000.log", 85_000)))
                .isInstanceOf(com.mintreplica.backup.core.BackupException.class)
                .hasMessageContaining("temporary file");
    }

    private static long heldWhenSpooled(int entries) {
        return ParentTree.SPOOL_FROM + (1 << 17) + 54L * entries;
    }

    /**
     * What the caller keeps for an open directory (its parent listing, whose records may be in a temporary file) is
     * closed as soon as the walk leaves that directory, not when the collector finds it: at most 32 temporary files
     * are open at once, and a directory past them kept its records in the heap.
     */
    @Test
    void the_walk_closes_what_it_kept_for_a_directory_when_it_leaves_it() {
        List<String> closed = new ArrayList<>();
        final class Kept implements AutoCloseable {
            final String path;

            Kept(String path) {
                this.path = path;
            }

            @Override
            public void close() {
                closed.add(path);
            }
        }
        TreeBuilder.TreeStore trees = listing -> BlobId.wrap(Sha256.hash(Codec.concatenate(listing.parts())));
        TreeBuilder<Kept> builder = new TreeBuilder<>(new Kept(""), (parent, name, path) -> new Kept(path), trees,
                Runnable::run, f -> f, "test", TreeBuilder.Admission.NONE);
        builder.position("a");
        builder.addDirectory(Entry.directory("a").mode(0755).build());
        builder.position("a/b");
        builder.addDirectory(Entry.directory("a/b").mode(0755).build());
        assertThat(builder.position("a/b/f").path).isEqualTo("a/b");
        builder.add(Manifest.Item.chunked(file("a/b/f", 1), 1, List.of(id(1))));
        assertThat(closed).isEmpty();
        assertThat(builder.position("a/g").path).isEqualTo("a");
        assertThat(closed).containsExactly("a/b");
        builder.add(Manifest.Item.chunked(file("a/g", 2), 2, List.of(id(2))));
        builder.position("c");
        assertThat(closed).containsExactly("a/b", "a");
        builder.add(Manifest.Item.chunked(file("c", 3), 3, List.of(id(3))));
        builder.finish().join();
        assertThat(closed).containsExactly("a/b", "a", "");
    }

    /** With no temporary file to be had (a directory that does not exist), the records stay in the heap. */
    @Test
    void a_parent_listing_with_no_temporary_file_keeps_its_records_in_the_heap() {
        int files = 100_000;
        byte[] plain = TreeFormat.encode(listing("up", files));
        String before = System.getProperty("java.io.tmpdir");
        ParentTree parent;
        System.setProperty("java.io.tmpdir", "/nonexistent/mint-backup-test");
        try {
            parent = ParentTree.read(id(1), "up", plain);
        } finally {
            System.setProperty("java.io.tmpdir", before);
        }
        assertThat(parent.spooled()).isFalse();
        assertThat(parent.bytes()).isGreaterThan(heldWhenSpooled(files));
        String last = String.format("file-%07d.log", files - 1);
        assertThat(parent.file(last, file("up/" + last, files - 1)).blobs()).containsExactly(id(files - 1));
        assertThat(parent.directory("sub-99500")).isEqualTo(id(-99_500));
    }

    @Test
    void names_hash_to_a_compact_table_that_tells_every_name_apart() {
        NameHashes names = new NameHashes();
        for (int i = 0; i < 200_000; i++) {
            assertThat(names.put("n" + i, i)).isTrue();
        }
        assertThat(names.put("n77", 1)).isFalse();
        assertThat(names.get("n77")).isEqualTo(77);
        assertThat(names.get("n199999")).isEqualTo(199_999);
        assertThat(names.get("n200000")).isEqualTo(-1);
        assertThat(names.contains("")).isFalse();
        assertThat(names.add("")).isTrue();
        assertThat(names.contains("")).isTrue();
        assertThat(names.size()).isEqualTo(200_001);
        assertThat(names.bytes() / names.size()).isLessThanOrEqualTo(54);
    }

    /**
     * One changed file among 5,000 unchanged ones: its chunk waits in the backup's batch of small chunks, which fills
     * only with other new chunks. The builder asks for that batch to be handed over when the head of a large listing
     * waits, so the listing still goes to the encoder in batches (it was held whole: 150,000 entries, out of memory).
     */
    @Test
    void a_changed_file_among_unchanged_ones_does_not_hold_the_listing_whole() {
        List<String> handedOver = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<BlobId> held = new CompletableFuture<>();
        List<Integer> flushes = new ArrayList<>();
        TreeBuilder<Void> builder = inDirectoryUp(handedOver, new NoBudget() {
            @Override
            public void flush() {
                flushes.add(handedOver.size());
                held.complete(id(100));   // the batch went to a worker, which hashed it
            }
        });
        for (int i = 0; i < 5_000; i++) {
            String name = String.format("f%05d", i);
            builder.position("up/" + name);
            if (i == 100) {
                builder.addFile(file("up/" + name, i), i, List.of(held));
            } else {
                builder.add(Manifest.Item.chunked(file("up/" + name, i), i, List.of(id(i))));
            }
        }

        assertThat(flushes).isNotEmpty();
        assertThat(handedOver).hasSizeGreaterThanOrEqualTo(3 * TreeBuilder.BATCH);
        builder.finish().join();
        assertThat(handedOver).hasSize(5_000);
    }

    /**
     * One file's content is stored late (its worker waited for room in a pack while uploads were retried) and the
     * content of the 20,000 files after it is stored at once: the walk waits for that file once
     * {@link TreeBuilder#MAX_WAITING} entries wait behind it, instead of holding every later entry (a writer's first
     * backup of 150,000 small files through a store failing half its requests held 40,000 and ran out of heap).
     */
    @Test
    void a_file_stored_late_holds_back_a_bounded_number_of_entries_behind_it() {
        List<String> handedOver = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<BlobId> late = new CompletableFuture<>();
        List<String> awaited = new ArrayList<>();
        TreeBuilder<Void> builder = inDirectoryUp(handedOver, new NoBudget() {
            @Override
            public boolean await(CompletableFuture<?> work, String path, int behind) {
                awaited.add(path + " " + behind);
                late.complete(id(100)); // the worker got its room
                return super.await(work, path, behind);
            }
        });
        int mostHeld = 0;
        for (int i = 0; i < 20_000; i++) {
            String name = String.format("f%05d", i);
            builder.position("up/" + name);
            builder.addFile(file("up/" + name, i), i, List.of(i == 100 ? late : CompletableFuture.completedFuture(id(i))));
            mostHeld = Math.max(mostHeld, i + 1 - handedOver.size());
        }

        assertThat(awaited).containsExactly("up/f00100 " + (TreeBuilder.MAX_WAITING - 100 - 1));
        assertThat(mostHeld).isLessThanOrEqualTo(TreeBuilder.MAX_WAITING);
        builder.finish().join();
        assertThat(handedOver).hasSize(20_000).doesNotHaveDuplicates();
        assertThat(handedOver.subList(99, 102)).containsExactly("up/f00099", "up/f00100", "up/f00101");
    }

    /** An admission that takes no budget: only what a test overrides. */
    private abstract static class NoBudget implements TreeBuilder.Admission {
        @Override
        public void acquire(long bytes, String directory) {
        }

        @Override
        public void release(long bytes) {
        }
    }

    /** A builder in the open directory {@code up}, handing each file it encodes to {@code handedOver}. */
    private static TreeBuilder<Void> inDirectoryUp(List<String> handedOver, TreeBuilder.Admission admission) {
        TreeBuilder<Void> builder = new TreeBuilder<>(null, (p, n, path) -> null,
                listing -> BlobId.wrap(Sha256.hash(Codec.concatenate(listing.parts()))), Runnable::run, f -> f, "test",
                admission);
        builder.onFile(item -> handedOver.add(item.entry().path()));
        builder.position("up");
        builder.addDirectory(Entry.directory("up").mode(0755).build());
        return builder;
    }

    /**
     * The walk is still in a directory of 5,000 files, some of whose content ids come late: the builder has already
     * encoded (and handed to the writer's cache) the entries whose ids are known, in order, and the listing it stores
     * at the end is byte for byte the one of the whole list.
     */
    @Test
    void a_large_directory_is_encoded_in_batches_while_the_walk_is_in_it_into_the_bytes_of_the_whole_listing() {
        Map<BlobId, byte[]> stored = new ConcurrentHashMap<>();
        List<String> handedOver = Collections.synchronizedList(new ArrayList<>());
        TreeBuilder<Void> builder = new TreeBuilder<>(null, (p, n, path) -> null, listing -> {
            byte[] plain = Codec.concatenate(listing.parts());
            BlobId id = BlobId.wrap(Sha256.hash(plain));
            stored.put(id, plain);
            return id;
        }, Runnable::run, f -> f, "test", TreeBuilder.Admission.NONE);
        builder.onFile(item -> handedOver.add(item.entry().path()));
        builder.position("up");
        builder.addDirectory(Entry.directory("up").mode(0755).build());
        List<TreeFormat.Child> expected = new ArrayList<>();
        List<CompletableFuture<BlobId>> late = new ArrayList<>();
        List<Integer> lateFiles = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            String name = String.format("f%05d", i);
            Entry e = file("up/" + name, i);
            builder.position("up/" + name);
            CompletableFuture<BlobId> chunk = new CompletableFuture<>();
            if (i >= 4_000 && i % 7 == 0) {
                late.add(chunk); // still being hashed when the walk leaves the directory
                lateFiles.add(i);
            } else {
                chunk.complete(id(i));
            }
            builder.addFile(e, i, List.of(chunk));
            expected.add(new TreeFormat.Child(name, Manifest.Item.chunked(e, i, List.of(id(i))), Optional.empty(), false));
        }
        // before the directory is left: the first batches went to the encoder, in the order of the walk
        assertThat(handedOver).hasSizeGreaterThanOrEqualTo(3 * TreeBuilder.BATCH);
        assertThat(handedOver.subList(0, 3)).containsExactly("up/f00000", "up/f00001", "up/f00002");

        CompletableFuture<BlobId> root = builder.finish();
        assertThat(root).isNotDone();
        for (int i = late.size() - 1; i >= 0; i--) {
            late.get(i).complete(id(lateFiles.get(i)));
        }
        TreeFormat.Node top = TreeFormat.decode(root.join(), "", stored.get(root.join()));
        BlobId up = top.child("up").subtree().get();
        assertThat(stored.get(up)).isEqualTo(TreeFormat.encode(expected));
        assertThat(new String(stored.get(up), 0, 12, StandardCharsets.UTF_8)).isEqualTo("{\"entries\":[");
        assertThat(handedOver).hasSize(5_000).doesNotHaveDuplicates();
    }

    /**
     * Given a spill (a backup's codec), a listing of more than a mebibyte goes to its encoding as the builder writes it,
     * and only the compressed form is held: the stored form decodes to the bytes of the whole listing, under the id of
     * those bytes, keyed in an encrypted repository. A small directory's listing stays in blocks.
     */
    @Test
    void a_large_listing_is_hashed_and_compressed_as_it_is_written_into_what_decodes_as_the_whole_listing() throws Exception {
        javax.crypto.SecretKey key = new javax.crypto.spec.SecretKeySpec(new byte[32], "HmacSHA256");
        Codec codec = new Codec(List.of(com.mintreplica.backup.core.transform.Transformers.zstd()), new CodecTest.Recording(), key);
        Map<BlobId, TreeFormat.Listing> stored = new ConcurrentHashMap<>();
        TreeBuilder.TreeStore trees = new TreeBuilder.TreeStore() {
            @Override
            public BlobId store(TreeFormat.Listing listing) {
                BlobId id = listing.streamed() != null ? listing.streamed().id() : codec.blobId(listing.parts());
                stored.put(id, listing);
                return id;
            }

            @Override
            public Codec.Streamed stream() throws java.io.IOException {
                return codec.streamed();
            }
        };
        TreeBuilder<Void> builder = new TreeBuilder<>(null, (p, n, path) -> null, trees, Runnable::run, f -> f, "test",
                TreeBuilder.Admission.NONE);
        builder.position("big");
        builder.addDirectory(Entry.directory("big").mode(0755).build());
        List<TreeFormat.Child> expected = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            String name = String.format("f%05d", i);
            Entry e = file("big/" + name, i);
            builder.position("big/" + name);
            builder.add(Manifest.Item.chunked(e, i, List.of(id(i))));
            expected.add(new TreeFormat.Child(name, Manifest.Item.chunked(e, i, List.of(id(i))), Optional.empty(), false));
        }
        builder.position("small");
        builder.addDirectory(Entry.directory("small").mode(0755).build());
        builder.position("small/one");
        builder.add(Manifest.Item.chunked(file("small/one", 1), 1, List.of(id(1))));
        BlobId root = builder.finish().join();

        byte[] whole = TreeFormat.encode(expected);
        assertThat(whole.length).isGreaterThan(TreeFormat.SPILL_FROM);
        TreeFormat.Listing rootListing = stored.get(root);
        assertThat(rootListing.streamed()).isNull();
        TreeFormat.Node top = TreeFormat.decode(root, "", Codec.concatenate(rootListing.parts()));
        BlobId big = top.child("big").subtree().get();
        assertThat(big).isEqualTo(codec.blobId(whole));
        Codec.Streamed streamed = stored.get(big).streamed();
        assertThat(stored.get(big).parts()).isNull();
        assertThat(streamed.plainLength()).isEqualTo(whole.length);
        assertThat(streamed.compressedLength()).isLessThan(whole.length / 5);
        byte[] encoded = streamed.encode();
        assertThat(codec.decode(encoded, whole.length)).isEqualTo(whole);
        assertThat(stored.get(top.child("small").subtree().get()).streamed()).isNull();
    }
}
