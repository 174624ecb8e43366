package com.mintreplica.backup.storage.s3;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.testkit.DigestTarget;
import com.mintreplica.backup.testkit.SampleSource;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;

/**
 * The client side of {@link S3LargeBackupIT}, run in a JVM of its own with a small heap: backs up {@code size} bytes to
 * the S3 endpoint given (with the key pair in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), restores them, and exits 0 only if every restored byte matches.
 */
public final class LargeBackupMain {
    private LargeBackupMain() {
    }

    public static void main(String[] args) throws Exception {
        URI endpoint = URI.create(args[0]);
        long size = Long.parseLong(args[1]);
        SampleSource source = SampleSource.builder()
                .generated("db/base.dump", size - 16L * 1024 * 1024, 21)
                .generated("db/wal.bin", 16L * 1024 * 1024, 22)
                .build();
        try (S3Sink sink = S3Sink.builder().bucket(args[2]).prefix("mint").endpoint(endpoint).pathStyle(true)
                .region("us-east-1").credentials(EnvironmentVariableCredentialsProvider.create()).build()) {
            // The default settings: packs being uploaded count against the pipeline's memory budget, so the default
            // workers fit a 256 MiB heap beside the Sink's 4 x 8 MiB part buffers.
            BackupResult result = Backup.pipeline().source(source).to(Repository.init(sink)).build().run();
            DigestTarget target = new DigestTarget();
            Repository.open(sink).restore(SnapshotSelector.id(result.snapshotId())).to(target).run();
            boolean same = target.finished() && target.digests().equals(source.digests())
                    && result.snapshot().stats().totalBytes() == size;
            System.out.println("heap max " + Runtime.getRuntime().maxMemory() + ", stored " + result.snapshot().stats().bytesStored()
                    + ", restored " + target.digests() + ", same " + same);
            System.exit(same ? 0 : 3);
        }
    }
}
