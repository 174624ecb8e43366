package com.mintreplica.backup.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.testkit.DigestTarget;
import com.mintreplica.backup.testkit.SampleSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Reading a versioned bucket as it was, and bringing back what was deleted or overwritten, on s3proxy's in-memory store
 * (which keeps versions and delete markers). S3 times have a resolution of one second, hence the pauses.
 */
class S3VersioningTest {

    private static void put(S3Sink s, String name, String content) throws IOException {
        byte[] bytes = content.getBytes();
        s.put(name, new ByteArrayInputStream(bytes), bytes.length, ObjectKind.SNAPSHOT);
    }

    private static String read(S3Sink s, String name) throws IOException {
        try (InputStream in = s.get(name)) {
            return new String(in.readAllBytes());
        }
    }

    private static Instant pauseAndMark() throws InterruptedException {
        Thread.sleep(1100);
        Instant mark = Instant.now();
        Thread.sleep(1100);
        return mark;
    }

    @Test
    void a_view_of_the_past_reads_overwritten_and_deleted_objects_as_they_were_and_they_can_be_put_back() throws Exception {
        try (S3Sink sink = S3TestSinks.sinkOnNewBucket().build()) {
            sink.enableVersioning();
            put(sink, "snapshots/s1", "manifest one");
            put(sink, "snapshots/s2", "manifest two");
            Instant before = pauseAndMark();
            put(sink, "snapshots/s1", "overwritten by an attacker");
            sink.delete("snapshots/s2");
            put(sink, "snapshots/s3", "written later");

            S3Sink past = sink.asOf(before);
            assertThat(read(past, "snapshots/s1")).isEqualTo("manifest one");
            assertThat(read(past, "snapshots/s2")).isEqualTo("manifest two");
            try (InputStream in = past.get("snapshots/s1", 9, 3)) {
                assertThat(new String(in.readAllBytes())).isEqualTo("one");
            }
            assertThat(past.stat("snapshots/s3")).isEmpty();
            try (Stream<ObjectInfo> listed = past.list("snapshots/")) {
                assertThat(listed.map(ObjectInfo::name).toList()).containsExactlyInAnyOrder("snapshots/s1", "snapshots/s2");
            }
            assertThatThrownBy(() -> put(past, "snapshots/s1", "x")).hasMessageContaining("read-only");
            assertThatThrownBy(() -> past.delete("snapshots/s1")).hasMessageContaining("read-only");

            List<String> restored = sink.restoreVersions(before, "snapshots/");

            assertThat(restored).containsExactlyInAnyOrder("snapshots/s1", "snapshots/s2");
            assertThat(read(sink, "snapshots/s1")).isEqualTo("manifest one");
            assertThat(read(sink, "snapshots/s2")).isEqualTo("manifest two");
            assertThat(read(sink, "snapshots/s3")).isEqualTo("written later");
            assertThat(sink.restoreVersions(before, "snapshots/")).isEmpty();
        }
    }

    @Test
    void a_snapshot_forgotten_by_mistake_is_restored_from_the_bucket_as_it_was() throws Exception {
        try (S3Sink sink = S3TestSinks.sinkOnNewBucket().build()) {
            sink.enableVersioning();
            Repository repo = Repository.init(sink, RepositorySettings.defaults()
                    .withChunkSizes(64 * 1024, 128 * 1024, 256 * 1024).withPackSize(512 * 1024));
            SampleSource source = SampleSource.builder().generated("db.dump", 2 * 1024 * 1024, 5).build();
            String id = Backup.pipeline().source(source).to(repo).build().run().snapshotId();
            Instant before = pauseAndMark();
            repo.forget(repo.snapshot(SnapshotSelector.id(id)));
            assertThat(repo.snapshots()).isEmpty();

            Repository past = Repository.open(sink.asOf(before));
            assertThat(past.snapshots()).extracting(Snapshot::id).containsExactly(id);
            DigestTarget target = new DigestTarget();
            past.restore(SnapshotSelector.id(id)).to(target).run();
            assertThat(target.digests()).isEqualTo(source.digests());

            sink.restoreVersions(before, "snapshots/");
            assertThat(Repository.open(sink).snapshots()).extracting(Snapshot::id).containsExactly(id);
        }
    }
}
