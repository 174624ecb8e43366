package com.mintreplica.backup.mongo;

import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.testkit.SampleSource;
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
    static Source entries(String kind, Map<String, byte[]> files, Map<String, String> facts) {
        SampleSource.Builder b = SampleSource.builder().id(new SourceId(kind, "imported")).facts(facts);
        files.forEach(b::add);
        return b.build();
    }

    static Source entries(String kind, Map<String, byte[]> files) {
        return entries(kind, files, Map.of());
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
