package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.FileNames;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Tree blobs carry every attribute a flat version-2 manifest does, through the same codec (EntryJson). */
class TreeFormatTest {
    private static final byte[] BAD_NAME = {'b', 'a', 'd', '-', (byte) 0xff, (byte) 0xfe, '.', 'b', 'i', 'n'};

    @Test
    void a_tree_blob_keeps_names_as_bytes_hard_links_xattrs_special_files_and_nanoseconds() throws Exception {
        String dir = FileNames.decode(new byte[] {'d', (byte) 0xe9});
        String bad = dir + "/" + FileNames.decode(BAD_NAME);
        BlobId blob = BlobId.fromHex("aa".repeat(32));
        BlobId sub = BlobId.fromHex("cc".repeat(32));
        Entry file = Entry.regular(bad).size(3).modified(Instant.parse("2024-01-02T03:04:05.123456789Z"))
                .accessed(Instant.parse("2024-01-03T00:00:00.000000001Z")).mode(0640).uid(1000).gid(1000)
                .owner("bob").group("staff").changeToken("3:1:2")
                .xattr("user.mime", "text/plain".getBytes(StandardCharsets.UTF_8))
                .xattr("system.posix_acl_access", new byte[] {2, 0, 0, 0, 1, 0, 6, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff})
                .build();
        Entry link = Entry.regular(dir + "/ünï 😀\nline").size(3).hardLinkTo(bad).build();
        Entry fifo = Entry.builder(dir + "/fifo", EntryType.FIFO).mode(0600).build();
        Entry device = Entry.builder(dir + "/null", EntryType.CHAR_DEVICE).device(0x103).mode(0666).build();
        Entry block = Entry.builder(dir + "/loop", EntryType.BLOCK_DEVICE).device(0x700).build();
        Entry symlink = Entry.symlink(dir + "/link", FileNames.decode(new byte[] {'t', (byte) 0x80})).build();
        Entry subdir = Entry.directory(dir + "/sub").mode(0700).modified(Instant.parse("2024-01-01T00:00:00.000000007Z")).build();
        List<TreeFormat.Child> children = List.of(
                child(file, Manifest.Item.chunked(file, 3, List.of(blob)), null),
                child(link, Manifest.Item.chunked(link, 3, List.of(blob)), null),
                child(fifo, Manifest.Item.noContent(fifo), null),
                child(device, Manifest.Item.noContent(device), null),
                child(block, Manifest.Item.noContent(block), null),
                child(symlink, Manifest.Item.noContent(symlink), null),
                child(subdir, Manifest.Item.noContent(subdir), sub));

        byte[] plain = TreeFormat.encode(children);
        String json = new String(plain, StandardCharsets.UTF_8);
        // valid UTF-8 JSON: the undecodable bytes travel as \\udcXX escapes, the name only (not the path)
        assertThat(json).contains("\"name\":\"bad-\\udcff\\udcfe.bin\"").doesNotContain("\"path\"");
        assertThat(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(plain)).toString()).isEqualTo(json);
        TreeFormat.Node node = TreeFormat.decode(BlobId.fromHex("bb".repeat(32)), dir, plain);

        assertThat(node.children()).extracting(c -> c.item().entry())
                .containsExactly(file, link, fifo, device, block, symlink, subdir);
        assertThat(FileNames.encode(node.children().get(0).item().entry().path()))
                .isEqualTo(FileNames.encode(bad));
        assertThat(node.children().get(0).item().entry().xattrs()).isEqualTo(file.xattrs());
        assertThat(node.children().get(1).item().entry().hardLinkTo()).contains(bad);
        assertThat(node.children().get(1).item().blobs()).containsExactly(blob);
        assertThat(node.children().get(6).subtree()).contains(sub);
        // the same listing encodes to the same bytes: an unchanged directory is the same blob
        assertThat(TreeFormat.encode(node.children())).isEqualTo(plain);
    }

    @Test
    void a_tree_blob_with_a_name_holding_a_slash_or_twice_the_same_name_is_corrupt() {
        BlobId id = BlobId.fromHex("bb".repeat(32));
        String slash = "{\"entries\":[{\"name\":\"a/b\",\"type\":\"file\",\"size\":0}]}";
        assertThatThrownBy(() -> TreeFormat.decode(id, "", slash.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("no valid name");
        String twice = "{\"entries\":[{\"name\":\"a\",\"type\":\"fifo\"},{\"name\":\"a\",\"type\":\"file\",\"size\":0}]}";
        assertThatThrownBy(() -> TreeFormat.decode(id, "d", twice.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("'a' appears twice")
                .hasMessageContaining("of directory 'd'");
    }

    private static TreeFormat.Child child(Entry e, Manifest.Item item, BlobId subtree) {
        String name = e.path().substring(e.path().lastIndexOf('/') + 1);
        return new TreeFormat.Child(name, item, Optional.ofNullable(subtree), false);
    }
}
