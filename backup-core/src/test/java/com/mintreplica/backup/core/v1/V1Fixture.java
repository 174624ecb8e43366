package com.mintreplica.backup.core.v1;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The content of the repositories of format version 1 under {@code src/test/resources/format-v1/}, which were made by
 * {@link #main} compiled against mint-backup as it was before tree snapshots (main at af8248d): two snapshots each of
 * a small tree, in the chunked layout (small chunks and packs, so files span several) and in the single-object
 * layout. Only public API, so the same class compiles against both versions; {@link FormatVersion1Test} reads the
 * fixtures with today's code and compares with {@link #state}.
 */
public final class V1Fixture {
    public static final Instant[] TIMES = {Instant.parse("2026-02-01T10:00:00Z"), Instant.parse("2026-02-02T10:00:00Z")};
    public static final SourceId SOURCE = new SourceId("fixture", "v1-tree");
    public static final String HOST = "fixture-host";

    private V1Fixture() {
    }

    /** One entry: its path, type ("dir", "file", "symlink"), content or link target, and mode. */
    public record Item(String path, String type, byte[] content, String link, int mode) {
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The tree of snapshot {@code state} (0 or 1), in the order the source emits it. */
    public static List<Item> state(int state) {
        List<Item> out = new ArrayList<>();
        out.add(new Item("docs", "dir", null, null, 0755));
        out.add(new Item("docs/readme.txt", "file", "never changes\n".repeat(50).getBytes(), null, 0644));
        out.add(new Item("docs/ledger.csv", "file", ("2026-02-0" + (state + 1) + ",tx,12.50\n").repeat(3000).getBytes(), null, 0640));
        out.add(new Item("docs/empty", "dir", null, null, 0700));
        out.add(new Item("big.bin", "file", random(70_000, 11), null, 0644));
        out.add(new Item("empty.txt", "file", new byte[0], null, 0600));
        out.add(new Item("link-to-readme", "symlink", null, "docs/readme.txt", 0777));
        if (state == 0) {
            out.add(new Item("old-notes.txt", "file", "removed after the first snapshot\n".getBytes(), null, 0644));
        }
        // no directory entry for "dump": a source may name files below directories it does not list
        out.add(new Item("dump/orders.bson", "file", random(5_000, 20 + state), null, 0644));
        out.add(new Item("Résumé – 履歴書.txt", "file", "unicode\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), null, 0644));
        return out;
    }

    public static Source source(int state) {
        List<Item> items = state(state);
        return new Source() {
            @Override
            public SourceId id() {
                return SOURCE;
            }

            @Override
            public SourceReader open(BackupContext context) {
                Iterator<Item> it = items.iterator();
                return new SourceReader() {
                    @Override
                    public Optional<SourceEntry> next() {
                        if (!it.hasNext()) {
                            return Optional.empty();
                        }
                        Item i = it.next();
                        Instant mtime = Instant.parse("2026-01-15T08:00:00Z");
                        Entry.Builder b = switch (i.type()) {
                            case "dir" -> Entry.directory(i.path());
                            case "symlink" -> Entry.symlink(i.path(), i.link());
                            default -> Entry.regular(i.path()).size(i.content().length)
                                    .changeToken(i.content().length + ":" + java.util.Arrays.hashCode(i.content()));
                        };
                        Entry entry = b.mode(i.mode()).modified(mtime).attribute("fixture", "v1").build();
                        byte[] content = i.content() == null ? new byte[0] : i.content();
                        return Optional.of(SourceEntry.of(entry, () -> new ByteArrayInputStream(content)));
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }

    /** Makes the fixtures: {@code V1Fixture DIR} writes DIR/chunked and DIR/single. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        RepositorySettings chunked = RepositorySettings.defaults().withChunkSizes(1024, 4096, 16 * 1024).withPackSize(32 * 1024);
        RepositorySettings single = RepositorySettings.defaults().withLayout(Layout.SINGLE);
        for (Map.Entry<String, RepositorySettings> repo : Map.of("chunked", chunked, "single", single).entrySet()) {
            try (Repository r = Repository.init(new LocalDirectorySink(dir.resolve(repo.getKey())), repo.getValue())) {
                for (int state = 0; state < 2; state++) {
                    Backup.pipeline().source(source(state)).to(r).host(HOST).job("fixture").tags("v1")
                            .time(TIMES[state]).build().run();
                }
            }
        }
    }
}
