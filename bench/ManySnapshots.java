import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.internal.Manifest;
import com.mintreplica.backup.core.internal.SnapshotIds;
import com.mintreplica.backup.core.internal.Store;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Makes a repository of N snapshots for bench/many-snapshots.sh, in one JVM:
 * {@code java -cp backup-cli/target/mint-backup.jar bench/ManySnapshots.java REPO N}.
 *
 * <p>The first 100 are real hourly backups of a generated tree of 1,000 files in 20 directories, of which a few files
 * change every hour (so they share most of their trees and data). The others are snapshot objects written as those
 * backups would have written them an hour apart, each naming the tree of one of the first 100 in turn: what listing,
 * retention and a backup's search for its parent read is the same, without 10,000 backups' worth of waiting.
 */
public class ManySnapshots {
    static final Instant START = Instant.parse("2025-01-01T00:00:00Z");
    static final int REAL = 100;

    static Source tree(int hour) {
        return new Source() {
            @Override
            public SourceId id() {
                return new SourceId("generated", "app-data");
            }

            @Override
            public SourceReader open(BackupContext context) {
                List<SourceEntry> entries = new ArrayList<>();
                for (int d = 0; d < 20; d++) {
                    entries.add(SourceEntry.of(Entry.directory("app/d" + d).mode(0755).modified(START).build(),
                            InputStream::nullInputStream));
                    for (int f = 0; f < 50; f++) {
                        int n = d * 50 + f;
                        // 5 files change every hour
                        int version = (n % 200) / 5 == hour % 40 ? hour : 0;
                        byte[] content = ("file " + n + " version " + version + "\n").repeat(40).getBytes();
                        entries.add(SourceEntry.of(Entry.regular("app/d" + d + "/f" + f).size(content.length).mode(0644)
                                .modified(START.plus(Duration.ofHours(version))).changeToken(content.length + ":" + version)
                                .build(), () -> new ByteArrayInputStream(content)));
                    }
                }
                var it = entries.iterator();
                return new SourceReader() {
                    @Override
                    public Optional<SourceEntry> next() {
                        return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }

    public static void main(String[] args) throws Exception {
        Path repoDir = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        try (Repository repo = Repository.init(new LocalDirectorySink(repoDir))) {
            List<Snapshot> real = new ArrayList<>();
            for (int h = 0; h < Math.min(REAL, count); h++) {
                real.add(Backup.pipeline().source(tree(h)).to(repo).host("app-host").job("hourly").tags("hourly")
                        .time(START.plus(Duration.ofHours(h))).build().run().snapshot());
            }
            Store store = Store.open(new LocalDirectorySink(repoDir));
            List<Manifest> heads = new ArrayList<>();
            for (Snapshot s : real) {
                heads.add(store.manifest(s.id()));
            }
            String parent = real.get(real.size() - 1).id();
            for (int h = REAL; h < count; h++) {
                Manifest like = heads.get(h % REAL);
                Snapshot s = like.snapshot();
                Instant time = START.plus(Duration.ofHours(h));
                Snapshot copy = new Snapshot(SnapshotIds.next(time), time, s.host(), s.source(), s.job(), s.tags(),
                        Optional.of(parent), s.stats(), s.facts(), s.warnings(), s.toolVersion());
                store.writeManifest(Manifest.ofTree(copy, Layout.CHUNKED, like.tree().orElseThrow()));
                parent = copy.id();
            }
            System.out.println(count + " snapshots in " + repoDir);
        }
    }
}
