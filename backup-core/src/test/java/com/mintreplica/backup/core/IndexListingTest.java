package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.Sink;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An index object the listing names but the store does not hold: a name damaged on the way (an S3 listing has no
 * checksum: through a proxy that flips bytes a key can come back with one character changed) or an object a
 * concurrent prune replaced after the listing. Neither a restore nor a backup may lose the real object's blobs for
 * it (both load the index again, with a true listing, before they rely on it). Real repositories on local
 * directories; the listing is altered by a forwarding Sink.
 */
@Timeout(60)
class IndexListingTest {
    @TempDir
    Path temp;

    /**
     * Listings of {@code index/} give each name with its last hex digit changed until a read asks for a name that is
     * not there; later ones are true.
     */
    private static final class DamagedIndexListing extends ForwardingSink {
        final AtomicInteger indexListings = new AtomicInteger();
        final AtomicInteger missingReads = new AtomicInteger();

        DamagedIndexListing(Sink delegate) {
            super(delegate);
        }

        @Override
        public Stream<ObjectInfo> list(String prefix) throws IOException {
            Stream<ObjectInfo> listed = super.list(prefix);
            if (!prefix.equals("index/")) {
                return listed;
            }
            indexListings.incrementAndGet();
            if (missingReads.get() > 0) {
                return listed;
            }
            return listed.map(o -> new ObjectInfo(damaged(o.name()), o.size(), o.lastModified()));
        }

        @Override
        public java.io.InputStream get(String name) throws IOException {
            try {
                return super.get(name);
            } catch (com.mintreplica.backup.core.sink.NoSuchObjectException e) {
                missingReads.incrementAndGet();
                throw e;
            }
        }

        private static String damaged(String name) {
            char last = name.charAt(name.length() - 1);
            return name.substring(0, name.length() - 1) + (last == '0' ? '1' : '0');
        }
    }

    @Test
    void a_restore_whose_index_listing_names_objects_that_are_not_there_restores() {
        LocalDirectorySink local = new LocalDirectorySink(temp.resolve("repo"));
        Snapshot snapshot;
        try (Repository repo = Repository.init(local, PruneFixture.smallSettings())) {
            snapshot = PruneFixture.backup(repo, 1);
        }

        DamagedIndexListing sink = new DamagedIndexListing(new LocalDirectorySink(temp.resolve("repo")));
        Map<String, byte[]> restored;
        try (Repository repo = Repository.open(sink)) {
            restored = PruneFixture.restore(repo, snapshot);
        }

        assertThat(sink.missingReads.get()).as("reads of the damaged names").isPositive();
        Map<String, byte[]> expected = PruneFixture.files(1);
        assertThat(restored.keySet()).isEqualTo(expected.keySet());
        List<String> differing = new ArrayList<>();
        expected.forEach((name, bytes) -> {
            if (!Arrays.equals(bytes, restored.get(name))) {
                differing.add(name);
            }
        });
        assertThat(differing).isEmpty();
    }

    @Test
    void a_backup_whose_index_listing_names_objects_that_are_not_there_stores_nothing_twice() {
        LocalDirectorySink local = new LocalDirectorySink(temp.resolve("repo"));
        try (Repository repo = Repository.init(local, PruneFixture.smallSettings())) {
            PruneFixture.backup(repo, 1);
        }
        long packs = PruneFixture.count(local, "data/");
        assertThat(PruneFixture.count(local, "index/")).isPositive();

        DamagedIndexListing sink = new DamagedIndexListing(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.open(sink)) {
            PruneFixture.backup(repo, 1);
        }

        assertThat(sink.missingReads.get()).as("reads of the damaged names").isPositive();
        assertThat(sink.indexListings.get()).isGreaterThanOrEqualTo(2);
        assertThat(PruneFixture.count(local, "data/")).as("data packs after the same files again").isEqualTo(packs);
    }
}
