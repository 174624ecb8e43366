package com.mintreplica.backup.core;

import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * A Source of entries given as path -> content, in the map's order: a null content is a directory ({@code 0755}), a
 * string a regular file ({@code 0644}) with a change token from its content. Its id is {@code test:NAME}.
 */
final class MapSource {
    private MapSource() {
    }

    static Source of(String name, Map<String, String> entries) {
        return new Source() {
            @Override
            public SourceId id() {
                return new SourceId("test", name);
            }

            @Override
            public SourceReader open(BackupContext context) {
                Iterator<Map.Entry<String, String>> it = entries.entrySet().iterator();
                return new SourceReader() {
                    @Override
                    public Optional<SourceEntry> next() {
                        if (!it.hasNext()) {
                            return Optional.empty();
                        }
                        Map.Entry<String, String> e = it.next();
                        if (e.getValue() == null) {
                            return Optional.of(SourceEntry.of(Entry.directory(e.getKey()).mode(0755)
                                    .modified(Instant.parse("2026-01-01T00:00:00Z")).build(), InputStream::nullInputStream));
                        }
                        byte[] content = e.getValue().getBytes(StandardCharsets.UTF_8);
                        Entry entry = Entry.regular(e.getKey()).size(content.length).mode(0644)
                                .changeToken(content.length + ":" + e.getValue().hashCode()).build();
                        return Optional.of(SourceEntry.of(entry, () -> new ByteArrayInputStream(content)));
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }
}
