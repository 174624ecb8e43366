package com.mintreplica.backup.crypto;

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
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/** A Source of byte arrays and a RestoreTarget that records what reaches it. */
final class Fixtures {
    private Fixtures() {
    }

    static final class MapSource implements Source {
        final Map<String, byte[]> files;

        MapSource(Map<String, byte[]> files) {
            this.files = files;
        }

        @Override
        public SourceId id() {
            return new SourceId("map", "ledger");
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
                public void close() {
                }
            };
        }
    }

    static final class MapTarget implements RestoreTarget {
        final Map<String, byte[]> files = new LinkedHashMap<>();
        boolean begun;
        boolean finished;
        Exception aborted;

        @Override
        public void begin(RestoreContext context) {
            begun = true;
        }

        @Override
        public void write(Entry entry, InputStream content) throws IOException {
            files.put(entry.path(), content.readAllBytes());
        }

        @Override
        public void finish() {
            finished = true;
        }

        @Override
        public void abort(Exception cause) {
            aborted = cause;
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Recognisable plaintext: ledger lines with account names. */
    static byte[] ledger(int n) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (sb.length() < n) {
            sb.append("2026-11-24;ACCT-SECRET-").append(i % 113).append(";Mint Replica GmbH;EUR;").append(i * 37 % 10_000)
                    .append(".50;salary\n");
            i++;
        }
        return sb.substring(0, n).getBytes(StandardCharsets.UTF_8);
    }

    /** Entries with telling names: a big random file (several chunks), ledgers, an empty file. */
    static Map<String, byte[]> data() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("customers/iban-ledger-2026.csv", ledger(300_000));
        files.put("payroll-secret.bin", random(3 * 1024 * 1024 + 11, 7));
        files.put("empty-marker", new byte[0]);
        files.put("notes/board-minutes.txt", "merger with Acme is confidential".getBytes(StandardCharsets.UTF_8));
        return files;
    }
}
