package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.internal.BlobId;
import com.mintreplica.backup.core.internal.BlobLocation;
import com.mintreplica.backup.core.internal.Store;
import com.mintreplica.backup.core.internal.TreeFormat;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.SourceId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A copy between encrypted repositories against the snapshot it copied before (CopyRun's parent), where that
 * snapshot's copy is damaged in the target: the damage is not a reason to fail, only to read that directory from the
 * source. (What a parent saves is counted in the testkit's RepositoryCopyTest.)
 */
class CopyParentTest {
    @TempDir
    Path dir;

    /** 30 files in logs/ ({@code changed}: one whose first byte differs) and one in docs/. */
    static Map<String, byte[]> files(int changed) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int j = 0; j < 30; j++) {
            byte[] content = PruneFixture.random(3000, 100 + j);
            if (j == changed) {
                content[0] ^= 1;
            }
            files.put("logs/f" + j, content);
        }
        files.put("docs/readme", "the same in every snapshot".getBytes());
        return files;
    }

    static Snapshot backup(Repository repo, int changed, int day) {
        return Backup.pipeline().source(new PruneFixture.MapSource(new SourceId("map", "test"), files(changed)))
                .to(repo).host("host").time(PruneFixture.DAY0.plus(Duration.ofDays(day))).parallelism(1).build().run()
                .snapshot();
    }

    @Test
    void a_directory_whose_copy_before_is_damaged_in_the_target_is_read_from_the_source_and_the_copy_is_whole()
            throws IOException {
        Path toRoot = dir.resolve("to");
        Repository from = Repository.init(new LocalDirectorySink(dir.resolve("from"), false),
                PruneFixture.smallSettings(), new EncryptedPruneTest.AesGcmEncryption());
        Repository to = Repository.init(new LocalDirectorySink(toRoot, false), PruneFixture.smallSettings(),
                new EncryptedPruneTest.AesGcmEncryption());
        Snapshot first = backup(from, -1, 1);
        from.copyTo(to);
        // one byte of the target's copy of logs/'s tree flipped
        Store store = to.store();
        BlobId root = store.manifest(first.id()).tree().get();
        BlobId logs = TreeFormat.decode(root, "", store.readBlob(root)).child("logs").subtree().get();
        BlobLocation at = store.index().find(logs).get();
        Path pack = toRoot.resolve(at.packObject());
        byte[] bytes = Files.readAllBytes(pack);
        bytes[at.offset() + at.length() / 2] ^= 0x10;
        Files.write(pack, bytes);
        Snapshot second = backup(from, 7, 2);

        CopyResult copied = from.copyTo(to);

        assertThat(copied.copied()).containsExactly(second.id());
        Map<String, byte[]> restored = PruneFixture.restore(to, second);
        Map<String, byte[]> expected = files(7);
        assertThat(restored.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((name, content) -> assertThat(restored.get(name)).as(name).isEqualTo(content));
    }
}
