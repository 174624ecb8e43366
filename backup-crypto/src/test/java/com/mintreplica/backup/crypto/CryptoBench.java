package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Backs up the same generated data into a fresh unencrypted and a fresh encrypted chunked repository on a local
 * directory, several rounds each, and prints the throughput of each and their ratio (target: encrypted >= 0.90 of
 * unencrypted; and a writer key's backups the same). Run by bench/crypto.sh; not a unit test, no timing assertions anywhere.
 *
 * <p>Arguments: total MiB of data (default 512), rounds (default 3).
 */
public final class CryptoBench {
    private CryptoBench() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Map<String, byte[]> files = data(mib);
        TestKeys keys = TestKeys.get();
        OpenPgpPublicKey recipient = keys.edPublic();
        OpenPgpSecretKey secret = keys.edSecret();
        Result plainBest = null;
        Result encryptedBest = null;
        Result writerBest = null;
        for (int round = 1; round <= rounds; round++) {
            Result plain = run(files, Mode.PLAIN, recipient, secret);
            Result encrypted = run(files, Mode.ENCRYPTED, recipient, secret);
            Result writer = run(files, Mode.WRITER, recipient, secret);
            plainBest = Result.best(plainBest, plain);
            encryptedBest = Result.best(encryptedBest, encrypted);
            writerBest = Result.best(writerBest, writer);
            System.out.printf(Locale.ROOT, "round %d: unencrypted %.0f MiB/s, encrypted %.0f MiB/s, writer key %.0f MiB/s"
                    + " (CPU: %.2f, %.2f, %.2f s/GiB)%n", round, plain.mibPerSecond, encrypted.mibPerSecond,
                    writer.mibPerSecond, plain.cpuPerGib, encrypted.cpuPerGib, writer.cpuPerGib);
        }
        System.out.printf(Locale.ROOT, "best: unencrypted %.0f MiB/s, encrypted %.0f MiB/s, writer key %.0f MiB/s;"
                        + " ratio %.2f, writer %.2f (target >= 0.90)%n", plainBest.mibPerSecond, encryptedBest.mibPerSecond,
                writerBest.mibPerSecond, encryptedBest.mibPerSecond / plainBest.mibPerSecond,
                writerBest.mibPerSecond / plainBest.mibPerSecond);
        System.out.printf(Locale.ROOT, "CPU time per GiB (all threads; steadier than wall time on a busy machine): unencrypted"
                        + " %.2f s, encrypted %.2f s, writer key %.2f s; ratio %.2f, writer %.2f%n", plainBest.cpuPerGib,
                encryptedBest.cpuPerGib, writerBest.cpuPerGib, plainBest.cpuPerGib / encryptedBest.cpuPerGib,
                plainBest.cpuPerGib / writerBest.cpuPerGib);
        System.exit(0);
    }

    enum Mode { PLAIN, ENCRYPTED, WRITER }

    /** Throughput (wall) and process CPU seconds per GiB of one backup; best keeps the fastest of each. */
    record Result(double mibPerSecond, double cpuPerGib) {
        static Result best(Result a, Result b) {
            return a == null ? b : new Result(Math.max(a.mibPerSecond, b.mibPerSecond), Math.min(a.cpuPerGib, b.cpuPerGib));
        }
    }

    /** Half compressible text, half random bytes, in 16 MiB files. */
    private static Map<String, byte[]> data(int mib) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        Random random = new Random(42);
        for (int i = 0; i < Math.max(1, mib / 16); i++) {
            byte[] b = i % 2 == 0 ? Fixtures.ledger(16 << 20) : new byte[16 << 20];
            if (i % 2 == 1) {
                random.nextBytes(b);
            }
            files.put("file-" + i, b);
        }
        return files;
    }

    private static Result run(Map<String, byte[]> files, Mode mode, OpenPgpPublicKey recipient, OpenPgpSecretKey secret)
            throws Exception {
        Path dir = Files.createTempDirectory("mb-bench");
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        try (LocalDirectorySink sink = new LocalDirectorySink(dir)) {
            Repository repo;
            if (mode == Mode.PLAIN) {
                repo = Repository.init(sink);
            } else {
                repo = Repository.init(sink, RepositorySettings.defaults(), OpenPgpEncryption.to(recipient));
                if (mode == Mode.WRITER) {
                    WriterKey writer;
                    try (KeyManager keys = KeyManager.open(sink, secret)) {
                        writer = keys.exportWriter("bench");
                    }
                    repo.close();
                    repo = Repository.open(sink, OpenPgpEncryption.writeWith(writer.withoutCache()));
                }
            }
            try (Repository opened = repo) {
                long cpu = os.getProcessCpuTime();
                long start = System.nanoTime();
                BackupResult result = Backup.pipeline().source(Fixtures.mapSource(files)).to(opened).build().run();
                double seconds = (System.nanoTime() - start) / 1e9;
                double cpuSeconds = (os.getProcessCpuTime() - cpu) / 1e9;
                double gib = result.bytesNew() / (double) (1L << 30);
                return new Result(result.bytesNew() / 1048576.0 / seconds, cpuSeconds / gib);
            }
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
