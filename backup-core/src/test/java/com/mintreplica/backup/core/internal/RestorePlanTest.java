package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.ExtendedAttribute;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The restore's plan: entries come back exactly as they went in, pieces in the order of packs and offsets. */
@Timeout(60)
class RestorePlanTest {
    @TempDir
    Path temp;

    @Test
    void every_field_of_an_entry_and_an_item_comes_back_from_the_spill() throws Exception {
        String odd = "dir/bad-\udcff\udcfe-" + "\ud83d\ude00" + "-é";
        Entry full = Entry.regular(odd + "/file").size(12345).modified(Instant.parse("2020-01-02T03:04:05.123456789Z"))
                .accessed(Instant.parse("1969-12-31T23:59:59.5Z")).mode(04755).uid(1000).gid(-2).owner("üser")
                .group("grp").changeToken("tok:1").attributes(Map.of("a", "1", "b", "\udc80")).device(0x1234_5678_9AL)
                .hardLinkTo("dir/first").xattr(new ExtendedAttribute("user.x", new byte[] {0, 1, 2, (byte) 255}))
                .xattr(new ExtendedAttribute("system.posix_acl_access", new byte[300])).build();
        Entry bare = Entry.regular("bare").build();
        Entry symlink = Entry.symlink("s", "x".repeat(70_000)).build();
        BlobId a = BlobId.wrap(new byte[32]);
        byte[] bb = new byte[32];
        bb[31] = 7;
        BlobId b = BlobId.wrap(bb);
        List<Manifest.Item> items = List.of(
                Manifest.Item.chunked(full, 12345, List.of(a, b, a)),
                Manifest.Item.chunked(bare, 0, List.of()),
                Manifest.Item.single(Entry.regular("obj").size(3).build(), 3, "objects/x", "ab".repeat(32)),
                Manifest.Item.noContent(symlink));
        try (RestorePlan plan = new RestorePlan(temp, 1 << 20)) {
            List<Long> at = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                at.add(plan.addItem(items.get(i), i == 0 ? 99 : -1));
            }
            plan.sorted().close();
            for (int i = items.size() - 1; i >= 0; i--) {
                RestorePlan.Planned back = plan.item(at.get(i));
                assertThat(back.item().entry()).isEqualTo(items.get(i).entry());
                assertThat(back.item().entry().path()).isEqualTo(items.get(i).entry().path());
                assertThat(back.item()).usingRecursiveComparison().isEqualTo(items.get(i));
                assertThat(back.length()).isEqualTo(i == 0 ? 99 : -1);
            }
        }
        try (Stream<Path> left = Files.list(temp)) {
            assertThat(left).as("spills removed").isEmpty();
        }
    }

    @Test
    void pieces_come_back_by_pack_then_offset_from_runs_on_disk_and_from_memory() throws Exception {
        for (int memory : new int[] {1 << 30, 0}) {
            Random r = new Random(memory);
            List<BlobLocation> packs = new ArrayList<>();
            for (int p = 0; p < 40; p++) {
                byte[] id = new byte[32];
                r.nextBytes(id);
                packs.add(new BlobLocation(BlobId.wrap(id), BlobType.DATA, 0, 1, 1));
            }
            int n = 20_000;
            List<long[]> expected = new ArrayList<>();
            try (RestorePlan plan = new RestorePlan(temp, memory)) {
                java.util.Map<Integer, Integer> numbers = new java.util.HashMap<>();
                for (int i = 0; i < n; i++) {
                    int p = r.nextInt(packs.size());
                    int offset = r.nextInt(1000) * 100;
                    BlobLocation where = new BlobLocation(packs.get(p).pack(), BlobType.DATA, offset, 50, 60);
                    byte[] id = new byte[32];
                    id[0] = (byte) p;
                    id[1] = (byte) (offset >> 8);
                    id[2] = (byte) offset;
                    plan.add(BlobId.wrap(id), where, i, 7L * i, 3, 11L * i);
                    int number = numbers.computeIfAbsent(p, x -> numbers.size());
                    expected.add(new long[] {number, offset, i});
                }
                expected.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : x[1] != y[1]
                        ? Long.compare(x[1], y[1]) : Long.compare(x[2], y[2]));
                RestorePlan.Piece piece = new RestorePlan.Piece();
                List<long[]> got = new ArrayList<>();
                try (RestorePlan.Cursor c = plan.sorted()) {
                    while (c.next(piece)) {
                        got.add(new long[] {piece.pack, piece.offset, piece.slot});
                        assertThat(piece.fileOffset).isEqualTo(7L * piece.slot);
                        assertThat(piece.entry).isEqualTo(11L * piece.slot);
                        assertThat(piece.pieces).isEqualTo(3);
                        assertThat(piece.length).isEqualTo(50);
                        assertThat(piece.plainLength).isEqualTo(60);
                        assertThat(plan.pack(piece.pack).pack()).as("the pack of the blob").isEqualTo(packs.get(piece.id[0]).pack());
                    }
                }
                assertThat(plan.runs()).as("runs on disk").isEqualTo(memory == 0 ? n / 1024 + 1 : 0);
                assertThat(got).hasSize(n);
                for (int i = 0; i < n; i++) {
                    assertThat(got.get(i)).as("piece %d", i).containsExactly(expected.get(i));
                }
            }
            try (Stream<Path> left = Files.list(temp)) {
                assertThat(left).as("spills removed").isEmpty();
            }
        }
    }
}
