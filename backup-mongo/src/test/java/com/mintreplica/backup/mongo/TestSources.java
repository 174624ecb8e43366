package com.mintreplica.backup.mongo;

import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
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
import java.util.function.UnaryOperator;

/** Sources for tests: fixed entries (an imported mongodump directory), and a MongoSource with altered output. */
final class TestSources {
    private TestSources() {
    }

    /** Fixed entries in the given order, as from an imported dump directory; kind {@code kind}, facts as given. */
    static final class Entries implements Source {
        private final String kind;
        private final Map<String, byte[]> files;
        private final Map<String, String> facts;

        Entries(String kind, Map<String, byte[]> files) {
            this(kind, files, Map.of());
        }

        Entries(String kind, Map<String, byte[]> files, Map<String, String> facts) {
            this.kind = kind;
            this.files = new LinkedHashMap<>(files);
            this.facts = facts;
        }

        @Override
        public SourceId id() {
            return new SourceId(kind, "imported");
        }

        @Override
        public SourceReader open(BackupContext context) {
            Iterator<Map.Entry<String, byte[]>> it = files.entrySet().iterator();
            return new SourceReader() {
                @Override
                public Optional<SourceEntry> next() {
                    if (!it.hasNext()) {
                        return Optional.empty();
                    }
                    Map.Entry<String, byte[]> e = it.next();
                    return Optional.of(SourceEntry.of(Entry.regular(e.getKey()).size(e.getValue().length).build(),
                            () -> new ByteArrayInputStream(e.getValue())));
                }

                @Override
                public Map<String, String> facts() {
                    return facts;
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** A source whose facts and entry contents are altered on the way, to make damaged snapshots. */
    static final class Altered implements Source {
        private final Source delegate;
        private final UnaryOperator<Map<String, String>> facts;
        private final String path;
        private final UnaryOperator<byte[]> content;

        Altered(Source delegate, UnaryOperator<Map<String, String>> facts, String path, UnaryOperator<byte[]> content) {
            this.delegate = delegate;
            this.facts = facts;
            this.path = path;
            this.content = content;
        }

        @Override
        public SourceId id() {
            return delegate.id();
        }

        @Override
        public SourceReader open(BackupContext context) throws IOException {
            SourceReader reader = delegate.open(context);
            return new SourceReader() {
                @Override
                public Optional<SourceEntry> next() throws IOException {
                    Optional<SourceEntry> next = reader.next();
                    if (next.isEmpty() || !next.get().entry().path().equals(path)) {
                        return next;
                    }
                    SourceEntry original = next.get();
                    return Optional.of(SourceEntry.of(original.entry(), () -> {
                        try (InputStream in = original.openContent()) {
                            return new ByteArrayInputStream(content.apply(in.readAllBytes()));
                        }
                    }));
                }

                @Override
                public Map<String, String> facts() {
                    return facts.apply(new LinkedHashMap<>(reader.facts()));
                }

                @Override
                public void close() throws IOException {
                    reader.close();
                }
            };
        }
    }
}
