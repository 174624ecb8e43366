package com.mintreplica.backup.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.Entry;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON output of the CLI. */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static {
        // A name that is not valid UTF-8 holds lone surrogates (core's FileNames): written as JSON \\u escapes, the
        // output stays valid JSON and keeps the name's bytes (Python's json module reads them as surrogateescape).
        MAPPER.getFactory().setCharacterEscapes(new com.fasterxml.jackson.core.io.CharacterEscapes() {
            private final int[] ascii = standardAsciiEscapesForJSON();

            @Override
            public int[] getEscapeCodesForAscii() {
                return ascii;
            }

            @Override
            public com.fasterxml.jackson.core.SerializableString getEscapeSequence(int ch) {
                return ch >= 0xD800 && ch <= 0xDFFF
                        ? new com.fasterxml.jackson.core.io.SerializedString(String.format("\\u%04x", ch)) : null;
            }
        });
    }

    private Json() {
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A JSON array written element by element to {@code out} (which stays open), for listings too long to hold:
     * {@code ls --json} of a snapshot of millions of entries.
     */
    static final class ArrayWriter implements AutoCloseable {
        private final java.io.PrintStream out;
        private final com.fasterxml.jackson.databind.SequenceWriter writer;

        ArrayWriter(java.io.PrintStream printer) {
            this.out = printer;
            try {
                this.writer = MAPPER.writer().writeValuesAsArray(new java.io.OutputStream() {
                    @Override
                    public void write(int b) {
                        printer.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        printer.write(b, off, len);
                    }

                    @Override
                    public void close() {
                        printer.flush();
                    }
                });
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void write(Object value) {
            try {
                writer.write(value);
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            try {
                writer.close();
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
            out.println();
        }
    }

    static Map<String, Object> snapshot(Snapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("time", s.time().toString());
        m.put("host", s.host());
        m.put("source", Map.of("kind", s.source().kind(), "name", s.source().name()));
        m.put("job", s.job().orElse(null));
        m.put("tags", new ArrayList<>(s.tags()));
        m.put("parent", s.parent().orElse(null));
        m.put("entries", s.stats().entries());
        m.put("bytes", s.stats().totalBytes());
        m.put("bytesRead", s.stats().bytesRead());
        m.put("bytesNew", s.stats().bytesNew());
        m.put("bytesStored", s.stats().bytesStored());
        m.put("durationMillis", s.stats().durationMillis());
        List<Map<String, String>> warnings = new ArrayList<>();
        s.warnings().forEach(w -> warnings.add(Map.of("path", w.path(), "message", w.message())));
        m.put("warnings", warnings);
        m.put("facts", s.facts());
        m.put("tool", s.toolVersion());
        m.put("damaged", false);
        return m;
    }

    /** A snapshot whose manifest cannot be read: its id and what is wrong. */
    static Map<String, Object> damaged(com.mintreplica.backup.core.DamagedSnapshot d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("damaged", true);
        m.put("problem", d.problem());
        return m;
    }

    static Map<String, Object> entry(Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", e.path());
        m.put("type", e.type().name().toLowerCase(java.util.Locale.ROOT));
        e.size().ifPresent(v -> m.put("size", v));
        e.mode().ifPresent(v -> m.put("mode", Integer.toOctalString(v)));
        e.modified().ifPresent(v -> m.put("mtime", v.toString()));
        e.owner().ifPresent(v -> m.put("user", v));
        e.group().ifPresent(v -> m.put("group", v));
        e.linkTarget().ifPresent(v -> m.put("link", v));
        e.hardLinkTo().ifPresent(v -> m.put("hardlink", v));
        e.device().ifPresent(v -> m.put("rdev", v));
        e.accessed().ifPresent(v -> m.put("atime", v.toString()));
        if (!e.xattrs().isEmpty()) {
            List<String> names = new ArrayList<>();
            e.xattrs().forEach(x -> names.add(x.name()));
            m.put("xattrs", names);
        }
        if (!e.attributes().isEmpty()) {
            m.put("attributes", e.attributes());
        }
        return m;
    }
}
