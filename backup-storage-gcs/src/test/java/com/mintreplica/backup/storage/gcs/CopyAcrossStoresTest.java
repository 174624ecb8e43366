package com.mintreplica.backup.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CopyResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.transform.GzipTransformer;
import com.mintreplica.backup.storage.s3.S3Sink;
import com.mintreplica.backup.testkit.DigestTarget;
import com.mintreplica.backup.testkit.FaultInjectingSink;
import com.mintreplica.backup.testkit.SampleSource;
import com.mintreplica.backup.testkit.s3.S3TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication across stores with Repository.copyTo: a local directory, then S3 (s3proxy in this JVM), then GCS (the
 * client library's in-memory Storage), each with its own transformer chain.
 */
class CopyAcrossStoresTest {
    private static S3TestServer s3;

    @BeforeAll
    static void startS3() {
        s3 = S3TestServer.start();
    }

    @AfterAll
    static void stopS3() {
        s3.close();
    }

    private static S3Sink newS3Sink() {
        return S3Sink.builder().bucket(s3.newBucket()).prefix("offsite").endpoint(s3.endpoint()).pathStyle(true)
                .region(S3TestServer.REGION).credentials(s3.credentials()).build();
    }

    private static GcsSink newGcsSink() {
        return GcsSink.builder().storage(InMemoryGcs.newStorage()).bucket("secondary").prefix("mint").build();
    }

    private static RepositorySettings small() {
        return RepositorySettings.defaults().withChunkSizes(64 * 1024, 128 * 1024, 256 * 1024).withPackSize(512 * 1024);
    }

    private static Map<String, String> restore(Repository repo, String id) {
        DigestTarget target = new DigestTarget();
        repo.restore(SnapshotSelector.id(id)).to(target).run();
        assertThat(target.finished()).isTrue();
        return target.digests();
    }

    @Test
    void local_to_s3_to_gcs_restores_from_the_last_and_a_second_copy_transfers_nothing(@TempDir Path dir) throws Exception {
        Repository local = Repository.init(new LocalDirectorySink(dir, false), small());
        SampleSource monday = SampleSource.builder().generated("db.dump", 3 * 1024 * 1024, 1)
                .generated("static.bin", 2 * 1024 * 1024, 99).build();
        SampleSource tuesday = SampleSource.builder().generated("db.dump", 3 * 1024 * 1024, 2)
                .generated("static.bin", 2 * 1024 * 1024, 99).build();
        String first = Backup.pipeline().source(monday).to(local).build().run().snapshotId();
        String second = Backup.pipeline().source(tuesday).to(local).build().run().snapshotId();
        try (S3Sink s3Sink = newS3Sink(); GcsSink gcsSink = newGcsSink()) {
            Repository s3Repo = Repository.init(s3Sink, small());
            FaultInjectingSink gcsCounted = new FaultInjectingSink(gcsSink);
            Repository gcsRepo = Repository.init(gcsCounted, small().withTransformers(List.of(new GzipTransformer(6))));

            assertThat(local.copyTo(s3Repo).copied()).containsExactly(first, second);
            assertThat(s3Repo.copyTo(gcsRepo).copied()).containsExactly(first, second);

            Repository fromGcs = Repository.open(gcsSink);
            assertThat(restore(fromGcs, first)).isEqualTo(monday.digests());
            assertThat(restore(fromGcs, second)).isEqualTo(tuesday.digests());
            assertThat(fromGcs.verify(true).ok()).isTrue();

            gcsCounted.resetCounts();
            CopyResult again = s3Repo.copyTo(gcsRepo);
            assertThat(again.transferredNothing()).isTrue();
            assertThat(gcsCounted.puts()).isEmpty();
            assertThat(local.copyTo(s3Repo).transferredNothing()).isTrue();
        }
    }

    @Test
    void a_copy_to_gcs_killed_midway_leaves_no_snapshot_and_resumes_without_resending_stored_packs() throws Exception {
        try (S3Sink s3Sink = newS3Sink(); GcsSink gcsSink = newGcsSink()) {
            Repository s3Repo = Repository.init(s3Sink, small());
            SampleSource big = SampleSource.builder().generated("big.dump", 10 * 1024 * 1024, 7).build();
            String id = Backup.pipeline().source(big).to(s3Repo).build().run().snapshotId();
            FaultInjectingSink faulty = new FaultInjectingSink(gcsSink);
            Repository.init(faulty, small());
            faulty.failPutsAfter(8, name -> name.startsWith("data/"));

            assertThatThrownBy(() -> s3Repo.copyTo(Repository.open(faulty))).isInstanceOf(BackupException.class);
            assertThat(Repository.open(gcsSink).snapshots()).isEmpty();
            long packsBefore = Repository.open(gcsSink).verify(false).unreferencedPacks();

            faulty.heal();
            faulty.resetCounts();
            CopyResult resumed = s3Repo.copyTo(Repository.open(faulty));

            assertThat(resumed.copied()).containsExactly(id);
            long packsTotal;
            try (var packs = gcsSink.list("data/")) {
                packsTotal = packs.count();
            }
            // the 8 packs stored before the failure were indexed (an index every 4 packs) and not sent again
            assertThat(faulty.putsUnder("data/")).isEqualTo(packsTotal - 8);
            assertThat(packsBefore).isZero();
            assertThat(restore(Repository.open(gcsSink), id)).isEqualTo(big.digests());
        }
    }
}
