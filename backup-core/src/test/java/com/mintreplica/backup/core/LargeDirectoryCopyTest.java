package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.internal.BlobId;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A directory of many entries copies whole, and copies again against the snapshot copied before, between repositories
 * that name blobs by a key (its listing is mapped to the target's ids and encoded as it is made, the parent's entries
 * found through a table of name hashes, in batches) and between plain ones (its listing is stored as it is, streamed).
 * What it costs in heap is shown by LargeDirectoryIT; here, that every path keeps the copy whole.
 */
@Timeout(300)
class LargeDirectoryCopyTest {
    private static final int FILES = 20_000;

    @TempDir
    Path temp;

    private static Map<String, String> entries(int changed) {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("spool", null);
        for (int i = 0; i < FILES; i++) {
            entries.put(String.format("spool/message-%06d.eml", i), "message " + i + (i == changed ? " (edited)" : ""));
        }
        entries.put("z", null);
        entries.put("z/last", "last");
        return entries;
    }

    private static Snapshot backup(Repository repo, Map<String, String> entries) {
        return Backup.pipeline().source(MapSource.of("large", entries)).to(repo).host("h").parallelism(2).build().run()
                .snapshot();
    }

    private Repository repository(String name, boolean keyed) {
        LocalDirectorySink sink = new LocalDirectorySink(temp.resolve(name), false);
        return keyed ? Repository.init(sink, RepositorySettings.defaults(), new EncryptedPruneTest.AesGcmEncryption())
                : Repository.init(sink);
    }

    @ParameterizedTest(name = "ids keyed: {0}")
    @ValueSource(booleans = {true, false})
    void a_directory_of_20_000_files_copies_whole_and_copies_again_sending_only_what_changed(boolean keyed)
            throws Exception {
        try (Repository from = repository("from", keyed); Repository to = repository("to", keyed)) {
            Snapshot first = backup(from, entries(-1));
            BlobId root = from.store().manifest(first.id()).tree().orElseThrow();
            BlobId spool = from.store().readTree(root, "").child("spool").subtree().orElseThrow();
            assertThat(from.store().readBlob(spool).length).as("a listing the copy spills and streams")
                    .isGreaterThan(1 << 20);

            CopyResult once = from.copyTo(to);
            assertThat(once.copied()).containsExactly(first.id());
            assertThat(once.blobsCopied()).isGreaterThanOrEqualTo(FILES);
            if (!keyed) {
                assertThat(to.store().readBlob(spool)).as("stored as it is").isEqualTo(from.store().readBlob(spool));
            }
            assertWhole(to, first, entries(-1));

            Snapshot second = backup(from, entries(12_345));
            CopyResult again = from.copyTo(to);
            assertThat(again.copied()).containsExactly(second.id());
            // the edited file's blob, the two listings above it and the root's: nothing of the 19,999 others
            assertThat(again.blobsCopied()).as("blobs sent by the second copy").isLessThanOrEqualTo(4);
            assertWhole(to, second, entries(12_345));
            assertThat(to.verify(true).problems()).isEmpty();
        }
    }

    private static void assertWhole(Repository repo, Snapshot snapshot, Map<String, String> entries) {
        Map<String, byte[]> restored = PruneFixture.restore(repo, snapshot);
        // the target hears of directories too, with no content
        Map<String, String> files = new LinkedHashMap<>();
        entries.forEach((path, content) -> files.put(path, content == null ? "" : content));
        assertThat(restored.keySet()).containsExactlyInAnyOrderElementsOf(files.keySet());
        files.forEach((path, content) -> assertThat(new String(restored.get(path), StandardCharsets.UTF_8)).as(path)
                .isEqualTo(content));
    }
}
