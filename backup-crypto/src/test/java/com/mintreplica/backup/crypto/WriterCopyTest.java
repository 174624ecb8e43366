package com.mintreplica.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.testkit.DigestTarget;
import com.mintreplica.backup.testkit.ForwardingSink;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mintreplica.backup.testkit.SampleSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copies into an encrypted repository that only a writer key opens: the host that keeps a local repository and copies
 * it off-site without holding the off-site repository's secret key.
 */
class WriterCopyTest {
    private final TestKeys keys = TestKeys.get();

    @TempDir
    Path temp;

    /** The test kit's day of logs ({@link SampleSource#logs}), {@code changed} naming a file that differs. */
    static SampleSource logs(int changed) {
        return SampleSource.logs(changed, false);
    }

    static RepositorySettings small() {
        return RepositorySettings.defaults().withChunkSizes(64 * 1024, 128 * 1024, 256 * 1024).withPackSize(512 * 1024);
    }

    /** Counts the bytes of ranged reads of packs (data/: file contents and trees). */
    static final class PackReads extends ForwardingSink {
        final AtomicLong read = new AtomicLong();

        PackReads(InMemorySink sink) {
            super(sink);
        }

        @Override
        public InputStream get(String name, long offset, long length) throws IOException {
            byte[] bytes = super.get(name, offset, length).readAllBytes();
            if (name.startsWith("data/")) {
                read.addAndGet(bytes.length);
            }
            return new ByteArrayInputStream(bytes);
        }
    }

    private final InMemorySink local = new InMemorySink();
    private final InMemorySink offsite = WriterKeyTest.repository(Layout.CHUNKED, keys.edPublic());

    private String backup(SampleSource files) {
        try (Repository repo = Repository.open(local)) {
            return Backup.pipeline().source(files).to(repo).build().run().snapshotId();
        }
    }

    /** Copies these snapshots of the local repository off-site with {@code writer}; the bytes of packs it read. */
    private long copy(WriterKey writer, List<String> ids) {
        PackReads reads = new PackReads(local);
        try (Repository source = Repository.open(reads);
             Repository target = Repository.open(offsite, OpenPgpEncryption.writeWith(writer))) {
            List<com.mintreplica.backup.core.Snapshot> snapshots = ids.stream()
                    .map(id -> source.snapshot(SnapshotSelector.id(id))).toList();
            assertThat(source.copyTo(target, snapshots).copied()).containsExactlyElementsOf(ids);
        }
        return reads.read.get();
    }

    private Map<String, String> restoreOffsite(String id) {
        try (Repository repo = Repository.open(offsite, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            DigestTarget target = new DigestTarget();
            repo.restore(SnapshotSelector.id(id)).to(target).run();
            assertThat(target.finished()).isTrue();
            assertThat(repo.verify(true).ok()).isTrue();
            return target.digests();
        }
    }

    @Test
    void a_later_copy_into_a_repository_only_a_writer_key_opens_reads_only_what_changed() {
        // the local repository is plain: its blob ids are not the off-site repository's keyed ones
        try (Repository ignored = Repository.init(local, small())) {
            // created
        }
        WriterKey writer = WriterKeyTest.exportWriter(offsite, keys.edSecret(), temp, "app1");
        SampleSource first = logs(-1);
        String firstId = backup(first);
        long firstRead = copy(writer, List.of(firstId));
        SampleSource second = logs(7);
        String secondId = backup(second);

        long secondRead = copy(writer, List.of(secondId));

        // The writer cannot read the off-site trees, so it had no parent: each copy read every file of the snapshot
        // (about a MiB) to learn its blob ids there. Now it reads the trees and the changed file.
        assertThat(firstRead).isGreaterThan(800 * 1024);
        assertThat(secondRead).isLessThan(64 * 1024);
        assertThat(restoreOffsite(secondId)).isEqualTo(second.digests());
        assertThat(restoreOffsite(firstId)).isEqualTo(first.digests());
    }

    @Test
    void what_the_record_names_is_read_again_when_the_target_no_longer_has_it() throws IOException {
        try (Repository ignored = Repository.init(local, small())) {
            // created
        }
        WriterKey writer = WriterKeyTest.exportWriter(offsite, keys.edSecret(), temp, "app1");
        String firstId = backup(logs(-1));
        copy(writer, List.of(firstId));
        // The off-site copy of the first snapshot is forgotten and its data pruned by the repository's owner.
        try (Repository repo = Repository.open(offsite, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            repo.forget(repo.snapshot(SnapshotSelector.id(firstId)));
            repo.prune().maxUnused(0).run();
        }
        SampleSource second = logs(7);
        String secondId = backup(second);

        long read = copy(writer, List.of(secondId));

        assertThat(read).as("the files read again, the record's ids being gone").isGreaterThan(800 * 1024);
        assertThat(restoreOffsite(secondId)).isEqualTo(second.digests());
    }

    @Test
    void a_damaged_record_is_ignored_and_the_copy_reads_every_file() throws IOException {
        try (Repository ignored = Repository.init(local, small())) {
            // created
        }
        WriterKey writer = WriterKeyTest.exportWriter(offsite, keys.edSecret(), temp, "app1");
        copy(writer, List.of(backup(logs(-1))));
        List<Path> cached;
        try (Stream<Path> files = Files.walk(temp.resolve("cache-app1"))) {
            cached = files.filter(Files::isRegularFile).filter(WriterKeyTest::parentCacheFile).toList();
        }
        assertThat(cached).isNotEmpty();
        for (Path p : cached) {
            byte[] bytes = Files.readAllBytes(p);
            bytes[bytes.length / 2] ^= 1;
            Files.write(p, bytes);
        }
        SampleSource second = logs(7);
        String secondId = backup(second);

        long read = copy(writer, List.of(secondId));

        assertThat(read).isGreaterThan(800 * 1024);
        assertThat(restoreOffsite(secondId)).isEqualTo(second.digests());
    }
}
