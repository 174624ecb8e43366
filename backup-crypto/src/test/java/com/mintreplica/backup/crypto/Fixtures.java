package com.mintreplica.backup.crypto;

import com.mintreplica.backup.testkit.SampleSource;

import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceId;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Test data, and a Source of byte arrays (the testkit's MemoryTarget records what a restore writes). */
final class Fixtures {
    private Fixtures() {
    }

    /** The entries of {@code files}, in order, as a source {@code map:ledger}. */
    static Source mapSource(Map<String, byte[]> files) {
        return SampleSource.of(new SourceId("map", "ledger"), files);
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
