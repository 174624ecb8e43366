package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.FileNames;
import com.mintreplica.backup.core.source.SourceId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ManifestFormatTest {
    private static final String BAD = FileNames.decode(new byte[] {'d', '/', 'b', 'a', 'd', '-', (byte) 0xff, (byte) 0xfe, '.', 'b', 'i', 'n'});

    private static Snapshot snapshot(List<Snapshot.Warning> warnings, Map<String, String> facts) {
        return new Snapshot("20240101-000000-abcdef01", Instant.parse("2024-01-01T00:00:00Z"), "host",
                new SourceId("fs", "/d"), Optional.empty(), new TreeSet<>(), Optional.empty(),
                new Snapshot.Stats(1, 2, 3, 4, 5, 6), facts, warnings, "test");
    }

    @Test
    void version_2_keeps_every_attribute_of_a_file_tree_byte_for_byte() {
        BlobId blob = BlobId.fromHex("aa".repeat(32));
        Entry file = Entry.regular(BAD).size(3).modified(Instant.parse("2024-01-02T03:04:05.123456789Z"))
                .accessed(Instant.parse("2024-01-03T00:00:00.000000001Z")).mode(0640).uid(1000).gid(1000)
                .owner("bob").group("staff").changeToken("3:1:2")
                .xattr("user.mime", "text/plain".getBytes(StandardCharsets.UTF_8))
                .xattr("system.posix_acl_access", new byte[] {2, 0, 0, 0, 1, 0, 6, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff})
                .build();
        Entry link = Entry.regular("d/ünï 😀\nline").size(3).hardLinkTo(BAD).build();
        Entry fifo = Entry.builder("d/fifo", EntryType.FIFO).mode(0600).build();
        Entry device = Entry.builder("d/null", EntryType.CHAR_DEVICE).device(0x103).mode(0666).build();
        Entry block = Entry.builder("d/loop", EntryType.BLOCK_DEVICE).device(0x700).build();
        Entry symlink = Entry.symlink("d/link", FileNames.decode(new byte[] {'t', (byte) 0x80})).build();
        Manifest manifest = new Manifest(snapshot(List.of(new Snapshot.Warning(BAD, "changed while it was read")),
                Map.of("fs.root.0", BAD)), Layout.CHUNKED, List.of(
                Manifest.Item.chunked(file, 3, List.of(blob)), Manifest.Item.chunked(link, 3, List.of(blob)),
                Manifest.Item.noContent(fifo), Manifest.Item.noContent(device), Manifest.Item.noContent(block),
                Manifest.Item.noContent(symlink)));

        byte[] json = ManifestFormat.write(manifest);
        assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"version\":2").contains("bad-\\udcff\\udcfe.bin");
        Manifest read = ManifestFormat.read("snapshots/x", json);

        assertThat(read.items()).extracting(Manifest.Item::entry).containsExactly(file, link, fifo, device, block, symlink);
        assertThat(FileNames.encode(read.items().get(0).entry().path())).isEqualTo(FileNames.encode(BAD));
        assertThat(read.items().get(0).entry().xattrs()).isEqualTo(file.xattrs());
        assertThat(read.snapshot().warnings().get(0).path()).isEqualTo(BAD);
        assertThat(read.snapshot().facts()).containsEntry("fs.root.0", BAD);
        assertThat(read.items().get(1).blobs()).containsExactly(blob);
    }

    @Test
    void a_version_1_manifest_reads_as_before() {
        String v1 = """
                {"version":1,"id":"20240101-000000-abcdef01","time":"2024-01-01T00:00:00Z","host":"h",
                 "source":{"kind":"fs","name":"/d"},"tags":[],"layout":"chunked","tool":"mint-backup 0.1.0",
                 "stats":{"entries":2,"totalBytes":3},"facts":{"fs.root.0":"d"},"warnings":[],
                 "entries":[{"path":"d","type":"dir","mtime":"2024-01-01T00:00:00Z","mode":"755"},
                  {"path":"d/ünï","type":"file","size":3,"mtime":"2024-01-01T00:00:00.5Z","mode":"644","uid":0,"gid":0,
                   "user":"root","group":"root","token":"3:5:7","blobs":["%s"]}]}
                """.formatted("bb".repeat(32));
        Manifest read = ManifestFormat.read("snapshots/x", v1.getBytes(StandardCharsets.UTF_8));
        assertThat(read.items()).hasSize(2);
        Entry file = read.items().get(1).entry();
        assertThat(file).isEqualTo(Entry.regular("d/ünï").size(3).modified(Instant.parse("2024-01-01T00:00:00.5Z"))
                .mode(0644).uid(0).gid(0).owner("root").group("root").changeToken("3:5:7").build());
        assertThat(file.xattrs()).isEmpty();
        assertThat(file.accessed()).isEmpty();
    }

    @Test
    void version_1_knows_no_fifo_and_a_newer_version_is_refused() {
        String v1fifo = """
                {"version":1,"id":"i","time":"2024-01-01T00:00:00Z","entries":[{"path":"f","type":"fifo"}]}""";
        assertThatThrownBy(() -> ManifestFormat.read("snapshots/x", v1fifo.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("unknown entry type 'fifo'");
        // version 3 is a tree snapshot: it must name its root tree
        String v3 = """
                {"version":3,"id":"i","time":"2024-01-01T00:00:00Z","entries":[]}""";
        assertThatThrownBy(() -> ManifestFormat.read("snapshots/x", v3.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("a version 3 snapshot names no tree");
        String v4 = """
                {"version":4,"id":"i","time":"2024-01-01T00:00:00Z","tree":"%s"}""".formatted("aa".repeat(32));
        assertThatThrownBy(() -> ManifestFormat.read("snapshots/x", v4.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("manifest version 4 is newer than this mint-backup reads");
    }
}
