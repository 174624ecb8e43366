package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.SourceId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The local cache of snapshot summaries and tree packs: used when it holds what is read, never trusted over the repository. */
@Timeout(120)
class LocalCacheTest {
    @TempDir
    Path temp;

    private List<Path> cached() throws Exception {
        try (Stream<Path> files = Files.walk(temp.resolve("cache"))) {
            return files.filter(Files::isRegularFile).filter(f -> f.toString().contains("/snapshots/")).toList();
        }
    }

    @Test
    void a_cached_summary_is_not_read_again_and_a_damaged_or_forgotten_one_is_dropped() throws Exception {
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.init(sink, PruneFixture.smallSettings()).withCache(temp.resolve("cache"))) {
            for (int i = 0; i < 20; i++) {
                PruneFixture.backup(repo, i, new SourceId("map", "cache"), "host");
            }
            List<Snapshot> first = repo.snapshots();
            assertThat(first).hasSize(20);
            assertThat(cached()).hasSize(20);

            sink.snapshotReads.set(0);
            assertThat(repo.snapshots()).isEqualTo(first);
            assertThat(sink.snapshotReads.get()).as("snapshot objects read with a full cache").isZero();

            // a damaged cache file is noticed (its checksum), dropped and read again from the repository
            Path victim = cached().get(3);
            byte[] bytes = Files.readAllBytes(victim);
            bytes[bytes.length / 2] ^= 0x40;
            Files.write(victim, bytes);
            assertThat(repo.snapshots()).isEqualTo(first);
            assertThat(sink.snapshotReads.get()).isEqualTo(1);
            assertThat(cached()).hasSize(20);

            // a forgotten snapshot leaves the cache with it
            repo.forget(first.get(0));
            assertThat(repo.snapshots()).isEqualTo(first.subList(1, 20));
            assertThat(cached()).hasSize(19);
        }
        // another Repository on the same cache reads nothing but the listing
        CountingSink again = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.open(again).withCache(temp.resolve("cache"))) {
            assertThat(repo.snapshots()).hasSize(19);
            assertThat(again.snapshotReads.get()).isZero();
        }
    }

    @Test
    void cached_summaries_are_encoded_by_the_repository_chain() throws Exception {
        // The chain (with its encryption, in an encrypted repository) is applied to cached summaries as to the
        // repository's own objects: with gzip, the host name is not stored as it is.
        try (Repository repo = Repository.init(new LocalDirectorySink(temp.resolve("repo")),
                RepositorySettings.defaults().withTransformers(List.of(com.mintreplica.backup.core.transform.Transformers.gzip())))
                .withCache(temp.resolve("cache"))) {
            PruneFixture.backup(repo, 0, new SourceId("map", "cache"), "a-very-recognisable-host-name");
            assertThat(repo.snapshots()).hasSize(1);
        }
        byte[] file = Files.readAllBytes(cached().get(0));
        assertThat(new String(file, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("a-very-recognisable-host-name");
    }

    @Test
    void directory_listings_are_read_from_cached_tree_packs_and_a_damaged_pack_from_the_repository() throws Exception {
        CountingSink sink = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        Snapshot snapshot;
        try (Repository repo = Repository.init(sink, PruneFixture.smallSettings()).withCache(temp.resolve("cache"))) {
            snapshot = PruneFixture.backup(repo, 0, new SourceId("map", "trees"), "host");
            // the backup kept the tree packs it stored: listing reads none from the repository
            assertThat(repo.entries(snapshot)).isNotEmpty();
            assertThat(sink.treeReads.get() + sink.treePackDownloads.get()).isZero();
        }
        List<Path> packs;
        try (Stream<Path> files = Files.walk(temp.resolve("cache"))) {
            packs = files.filter(Files::isRegularFile).filter(f -> f.toString().contains("/tree/")).toList();
        }
        assertThat(packs).hasSize(1);
        Files.delete(packs.get(0));
        CountingSink again = new CountingSink(new LocalDirectorySink(temp.resolve("repo")));
        try (Repository repo = Repository.open(again).withCache(temp.resolve("cache"))) {
            List<String> first = repo.entries(snapshot).stream().map(e -> e.path()).toList();
            assertThat(again.treePackDownloads.get()).as("the pack is fetched whole, once").isEqualTo(1);
            assertThat(again.treeReads.get()).isZero();
            assertThat(repo.entries(snapshot).stream().map(e -> e.path()).toList()).isEqualTo(first);
            assertThat(again.treePackDownloads.get()).isEqualTo(1);

            byte[] bytes = Files.readAllBytes(packs.get(0));
            for (int i = 0; i < bytes.length - 40; i += 7) {
                bytes[i] ^= 0x55;
            }
            Files.write(packs.get(0), bytes);
            assertThat(repo.entries(snapshot).stream().map(e -> e.path()).toList())
                    .as("a damaged cached pack is not trusted").isEqualTo(first);
            assertThat(repo.verify(true).problems()).isEmpty();
        }
    }
}
