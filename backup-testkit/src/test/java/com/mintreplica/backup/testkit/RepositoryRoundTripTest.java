package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.VerifyReport;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Repository-level behaviour over the in-memory Sink, with a Source of byte arrays. */
class RepositoryRoundTripTest {

    static Source mapSource(Map<String, byte[]> files) {
        return SampleSource.of(new SourceId("map", "test"), files);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Map<String, byte[]> data() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("a.bin", random(5 * 1024 * 1024, 1));
        files.put("empty", new byte[0]);
        files.put("small.txt", "hello".getBytes());
        files.put("b.bin", random(3 * 1024 * 1024 + 7, 2));
        return files;
    }

    @Test
    void chunked_and_single_layouts_round_trip() {
        for (Layout layout : Layout.values()) {
            InMemorySink sink = new InMemorySink();
            try (Repository repo = Repository.init(sink, RepositorySettings.defaults().withLayout(layout))) {
                Map<String, byte[]> files = data();
                BackupResult result = Backup.pipeline().source(mapSource(files)).to(repo).build().run();
                assertThat(result.entries()).isEqualTo(4);
                MemoryTarget target = new MemoryTarget();
                repo.restore(SnapshotSelector.latest()).to(target).run();
                assertThat(target.finished()).isTrue();
                assertThat(target.files().keySet()).containsExactlyElementsOf(files.keySet());
                files.forEach((k, v) -> assertThat(target.files().get(k)).as(layout + " " + k).isEqualTo(v));
                assertThat(repo.verify(true).ok()).isTrue();
            }
        }
    }

    @Test
    void an_unchanged_second_backup_stores_no_new_data() {
        InMemorySink sink = new InMemorySink();
        try (Repository repo = Repository.init(sink)) {
            Backup.pipeline().source(mapSource(data())).to(repo).build().run();
            long before = sink.totalBytes();
            BackupResult second = Backup.pipeline().source(mapSource(data())).to(repo).build().run();
            assertThat(second.bytesNew()).isZero();
            assertThat(sink.totalBytes() - before).isLessThan(4096);
        }
    }

    @Test
    void a_flipped_byte_in_a_pack_fails_verify_and_restore_naming_the_pack() {
        InMemorySink sink = new InMemorySink();
        try (Repository repo = Repository.init(sink)) {
            BackupResult result = Backup.pipeline().source(mapSource(data())).to(repo).build().run();
            String pack = sink.objects().keySet().stream().filter(n -> n.startsWith("data/")).findFirst().orElseThrow();
            sink.corrupt(pack, 100);
            VerifyReport report = repo.verify(true);
            assertThat(report.ok()).isFalse();
            assertThat(report.problems()).anySatisfy(p -> {
                assertThat(p.object()).isEqualTo(pack);
                assertThat(p.snapshots()).contains(result.snapshotId());
            });
            MemoryTarget target = new MemoryTarget();
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.latest()).to(target).run())
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining(pack);
            assertThat(target.aborted()).isNotNull();
            assertThat(target.finished()).isFalse();
        }
    }

    @Test
    void verify_reports_snapshots_of_one_second_in_the_order_they_were_taken() {
        // Ids carry the second and a random part, so snapshots taken within one second sort by chance; the report
        // must follow the time each was taken (as a listing does), not the ids: 8 of them leave 1 in 40,320 to luck.
        InMemorySink sink = new InMemorySink();
        try (Repository repo = Repository.init(sink, RepositorySettings.defaults())) {
            java.time.Instant second = java.time.Instant.parse("2026-12-05T00:17:36Z");
            java.util.List<String> taken = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                java.time.Clock at = java.time.Clock.fixed(second.plusMillis(100L * i + 1), java.time.ZoneOffset.UTC);
                taken.add(Backup.pipeline().source(mapSource(Map.of("f", new byte[] {(byte) i}))).to(repo).clock(at)
                        .build().run().snapshotId());
            }
            assertThat(repo.snapshots()).extracting(s -> s.id()).containsExactlyElementsOf(taken);
            assertThat(repo.verify(true).snapshots()).extracting(s -> s.id()).containsExactlyElementsOf(taken);
        }
    }
}
