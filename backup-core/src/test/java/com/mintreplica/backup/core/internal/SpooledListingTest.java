package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.source.Entry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large listing that a restore, {@code ls} or verify walks is kept in a temporary file, not the heap
 * ({@link SpooledBytes}): what the walk sees is what the listing holds, two walks at different places read the same
 * entries, an entry longer than a read window comes back whole, the file is unlinked from the start, and damage is still
 * named as the tree's.
 */
class SpooledListingTest {
    private static final Instant TIME = Instant.parse("2026-12-07T08:00:00.123456789Z");

    @TempDir
    Path temp;

    private static BlobId id(int n) {
        return LargeListingTest.id(n);
    }

    /** {@code files} files, one of them of 2,000 blobs (an entry of some 130 KiB, longer than a read window). */
    private static List<TreeFormat.Child> listing(int files) {
        List<TreeFormat.Child> children = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            String name = String.format("mail-%07d.eml", i);
            Entry e = Entry.regular("spool/" + name).size(i).mode(0640).modified(TIME).changeToken("1:" + i).build();
            List<BlobId> blobs = new ArrayList<>();
            int count = i == files / 2 ? 2_000 : 1;
            for (int b = 0; b < count; b++) {
                blobs.add(id(i * 4096 + b));
            }
            children.add(new TreeFormat.Child(name, Manifest.Item.chunked(e, i, blobs), Optional.empty(), false));
        }
        return children;
    }

    private static TreeFormat.Node spooled(byte[] plain, SpooledBytes spool) {
        return TreeFormat.decode(id(1), "spool", new ByteArrayInputStream(plain), spool);
    }

    @Test
    void a_spooled_listing_reads_back_the_entries_it_holds_for_two_walks_at_once() throws IOException {
        List<TreeFormat.Child> children = listing(30_000);
        byte[] plain = TreeFormat.encode(children);
        assertThat(plain.length).isGreaterThan(TreeFormat.SPOOLED_FROM);

        try (SpooledBytes spool = SpooledBytes.create()) {
            TreeFormat.Node node = spooled(plain, spool);
            assertThat(spool.length()).isEqualTo(plain.length);
            assertThat(node.children()).hasSize(children.size());
            // two walks, one 10,000 entries behind the other, each with its own window
            Iterator<TreeFormat.Child> ahead = node.children().iterator();
            for (int i = 0; i < 10_000; i++) {
                assertThat(ahead.next()).isEqualTo(children.get(i));
            }
            Iterator<TreeFormat.Child> behind = node.children().iterator();
            for (int i = 0; i < children.size(); i++) {
                assertThat(behind.next()).isEqualTo(children.get(i));
                if (i + 10_000 < children.size()) {
                    assertThat(ahead.next()).isEqualTo(children.get(i + 10_000));
                }
            }
            assertThat(node.child("mail-0015000.eml").item().blobs()).hasSize(2_000);
            assertThat(TreeFormat.heldBytes(node, plain.length)).as("four bytes an entry").isEqualTo(4L * 30_000);
        }
    }

    @Test
    void the_spool_is_a_file_no_one_else_sees_and_reads_outside_it_fail() throws IOException {
        String before = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", temp.toString());
        try (SpooledBytes spool = SpooledBytes.create()) {
            try (var listed = Files.list(temp)) {
                assertThat(listed).as("unlinked as soon as it is open").isEmpty();
            }
            byte[] bytes = new byte[100_000];
            new Random(5).nextBytes(bytes);
            spool.write(bytes, 0, 70_000);
            spool.write(bytes, 70_000, 30_000);
            spool.finish();
            assertThat(spool.read(99_990, 10)).isEqualTo(java.util.Arrays.copyOfRange(bytes, 99_990, 100_000));
            assertThat(spool.read(10, 50_000)).isEqualTo(java.util.Arrays.copyOfRange(bytes, 10, 50_010));
            assertThat(spool.read(40_000, 5)).isEqualTo(java.util.Arrays.copyOfRange(bytes, 40_000, 40_005));
            assertThatThrownBy(() -> spool.read(99_999, 2)).isInstanceOf(IOException.class)
                    .hasMessageContaining("outside the 100000 spooled");
            if (Files.isDirectory(Path.of("/proc/self/fd"))) {
                assertThat(openFilesIn(temp)).as("the open file, unlinked").anyMatch(t -> t.endsWith("(deleted)"));
            }
            spool.reset();
            assertThat(spool.length()).isZero();
        } finally {
            System.setProperty("java.io.tmpdir", before);
        }
        if (Files.isDirectory(Path.of("/proc/self/fd"))) {
            assertThat(openFilesIn(temp)).as("closed").isEmpty();
        }
    }

    private static List<String> openFilesIn(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith(dir.toString())) {
                        found.add(target);
                    }
                } catch (IOException e) {
                    // closed while listed (the listing's own descriptor)
                }
            }
        }
        return found;
    }

    @Test
    void a_damaged_or_doubled_listing_is_named_as_the_trees_damage_not_the_spools() throws IOException {
        List<TreeFormat.Child> children = new ArrayList<>(listing(30_000));
        children.add(children.get(7));
        byte[] doubled = TreeFormat.encode(children);
        try (SpooledBytes spool = SpooledBytes.create()) {
            assertThatThrownBy(() -> spooled(doubled, spool)).isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("'mail-0000007.eml' appears twice").hasMessageContaining("directory 'spool'");
            assertThat(spool.failure()).isNull();

            byte[] cut = java.util.Arrays.copyOf(TreeFormat.encode(listing(30_000)), 5_000_000);
            assertThatThrownBy(() -> spooled(cut, spool)).isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("tree " + id(1));
        }
    }

    @Test
    void at_most_32_spools_are_open_at_once_and_closing_one_makes_room() throws IOException {
        List<SpooledBytes> open = new ArrayList<>();
        try {
            IOException refused = null;
            for (int i = 0; i <= SpooledBytes.MAX_OPEN && refused == null; i++) {
                try {
                    open.add(SpooledBytes.create());
                } catch (IOException e) {
                    refused = e;
                }
            }
            assertThat(refused).as("refused once %d are open", SpooledBytes.MAX_OPEN).isNotNull()
                    .hasMessageContaining("temporary listings are open already");
            open.remove(0).close();
            open.add(SpooledBytes.create());
        } finally {
            open.forEach(SpooledBytes::close);
        }
    }

    @Test
    void a_spool_that_cannot_be_written_is_not_called_damage() throws IOException {
        byte[] plain = TreeFormat.encode(listing(30_000));
        SpooledBytes spool = SpooledBytes.create();
        spool.close();   // its file is gone: every write fails, as on a full disk
        assertThatThrownBy(() -> spooled(plain, spool)).isInstanceOf(BackupException.class)
                .isNotInstanceOf(CorruptDataException.class).hasMessageContaining("temporary copy of tree " + id(1));
        assertThat(spool.failure()).isNotNull();
    }

    /**
     * A backup's encoding of a large listing keeps its compressed form in a temporary file past a mebibyte: the
     * compressed listing of an unchanged directory of 300,000 files took 18 MiB of heap while the walk went through it,
     * only to be dropped when its id was found stored. The stored form is the same, and the file is closed once the
     * encoding is taken or let go.
     */
    @Test
    void a_streamed_encoding_keeps_its_compressed_form_past_a_mebibyte_in_a_temporary_file() throws IOException {
        javax.crypto.SecretKey key = new javax.crypto.spec.SecretKeySpec(new byte[32], "HmacSHA256");
        Codec codec = new Codec(List.of(com.mintreplica.backup.core.transform.Transformers.zstd()),
                new CodecTest.Recording(), key);
        byte[] plain = new byte[3 << 20];
        new Random(7).nextBytes(plain);   // does not compress: some 3 MiB of compressed form
        String before = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", temp.toString());
        try {
            Codec.Streamed taken = codec.streamed();
            for (int at = 0; at < plain.length; at += 10_000) {
                taken.write(plain, at, Math.min(10_000, plain.length - at));
            }
            taken.close();
            assertThat(taken.spooled()).isTrue();
            assertThat(taken.id()).isEqualTo(codec.blobId(plain));
            assertThat(taken.compressedLength()).isGreaterThan(Codec.SPOOL_COMPRESSED_FROM);
            if (Files.isDirectory(Path.of("/proc/self/fd"))) {
                assertThat(openFilesIn(temp)).hasSize(1);
            }
            byte[] stored = taken.encode();
            assertThat(stored.length).isGreaterThan(Codec.SPOOL_COMPRESSED_FROM);
            assertThat(java.util.Arrays.equals(codec.decode(stored, plain.length), plain)).as("decodes whole").isTrue();

            Codec.Streamed dropped = codec.streamed();
            dropped.write(plain, 0, plain.length);
            dropped.close();
            assertThat(dropped.spooled()).isTrue();
            dropped.release();
            if (Files.isDirectory(Path.of("/proc/self/fd"))) {
                assertThat(openFilesIn(temp)).as("closed once taken or let go").isEmpty();
            }

            Codec.Streamed small = codec.streamed();
            small.write(plain, 0, 100_000);
            small.close();
            assertThat(small.spooled()).isFalse();
            assertThat(codec.decode(small.encode(), 100_000)).isEqualTo(java.util.Arrays.copyOf(plain, 100_000));
        } finally {
            System.setProperty("java.io.tmpdir", before);
        }
    }
}
