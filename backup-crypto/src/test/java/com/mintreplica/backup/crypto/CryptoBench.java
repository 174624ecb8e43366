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
 * directory, several rounds each, and prints the throughput of each and their ratio (target: encrypted >= 0.80 of
 * unencrypted). Run by bench/crypto.sh; not a unit test, no timing assertions anywhere.
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
        double plainBest = 0;
        double encryptedBest = 0;
        for (int round = 1; round <= rounds; round++) {
            double plain = run(files, null);
            double encrypted = run(files, recipient);
            plainBest = Math.max(plainBest, plain);
            encryptedBest = Math.max(encryptedBest, encrypted);
            System.out.printf(Locale.ROOT, "round %d: unencrypted %.0f MiB/s, encrypted %.0f MiB/s%n", round, plain, encrypted);
        }
        System.out.printf(Locale.ROOT, "best: unencrypted %.0f MiB/s, encrypted %.0f MiB/s, ratio %.2f (target >= 0.80)%n",
                plainBest, encryptedBest, encryptedBest / plainBest);
        System.exit(0);
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

    private static double run(Map<String, byte[]> files, OpenPgpPublicKey recipient) throws Exception {
        Path dir = Files.createTempDirectory("mb-bench");
        try (LocalDirectorySink sink = new LocalDirectorySink(dir);
             Repository repo = recipient == null ? Repository.init(sink)
                     : Repository.init(sink, RepositorySettings.defaults(), OpenPgpEncryption.to(recipient))) {
            long start = System.nanoTime();
            BackupResult result = Backup.pipeline().source(Fixtures.mapSource(files)).to(repo).build().run();
            double seconds = (System.nanoTime() - start) / 1e9;
            return result.bytesNew() / 1048576.0 / seconds;
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
