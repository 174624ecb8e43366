package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * Backs up the same generated data into a fresh unencrypted and a fresh encrypted chunked repository on a local
 * directory, and through a writer key (public material only), several rounds each, and prints the throughput and the
 * CPU time per GiB of each and their ratios (target: encrypted >= 0.90 of unencrypted). Run by bench/crypto.sh; not a
 * unit test, no timing assertions anywhere.
 *
 * <p>What keeps the comparison fair: every mode backs up the same byte arrays (generated once, before anything is
 * timed); a warm-up round of every mode runs first and is not counted (the JIT compiles zstd's, SHA-256's and
 * AES-GCM's paths there, not inside one mode's timed run); the order of the modes rotates from round to round, so that
 * none always runs first, or always after another's garbage; the heap is collected before every run. Both the best and
 * the median of each mode are printed, and the median of the ratios taken inside each round (the modes of one round ran
 * under about the same load): on a shared machine the CPU time is the steadier measure.
 *
 * <p>Arguments: total MiB of data (default 512), rounds (default 3). System property {@code bench.modes}: a comma list
 * of {@code plain,encrypted,writer} (default all three), e.g. to profile one.
 */
public final class CryptoBench {
    private CryptoBench() {
    }

    enum Mode {
        PLAIN("unencrypted"), ENCRYPTED("encrypted"), WRITER("writer key");

        final String label;

        Mode(String label) {
            this.label = label;
        }
    }

    /** Throughput (wall) and process CPU seconds (all threads: workers, GC, JIT) per GiB stored of one backup. */
    record Result(double mibPerSecond, double cpuPerGib) {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<Mode> modes = Arrays.stream(System.getProperty("bench.modes", "plain,encrypted,writer").split(","))
                .map(s -> Mode.valueOf(s.trim().toUpperCase(Locale.ROOT))).toList();
        Map<String, byte[]> files = data(mib);
        TestKeys keys = TestKeys.get();
        OpenPgpPublicKey recipient = keys.edPublic();
        OpenPgpSecretKey secret = keys.edSecret();
        Map<Mode, List<Result>> results = new EnumMap<>(Mode.class);
        modes.forEach(m -> results.put(m, new ArrayList<>()));
        System.out.printf(Locale.ROOT, "%d MiB (%d files), %d rounds after a warm-up round; %d CPUs, load average %.2f%n",
                mib, files.size(), rounds, Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        for (int round = 0; round <= rounds; round++) {
            List<Mode> order = new ArrayList<>(modes);
            java.util.Collections.rotate(order, -round);
            Map<Mode, Result> these = new EnumMap<>(Mode.class);
            for (Mode mode : order) {
                these.put(mode, run(files, mode, recipient, secret));
            }
            StringBuilder line = new StringBuilder(round == 0 ? "warm-up:" : "round " + round + ":");
            for (Mode mode : order) {
                Result r = these.get(mode);
                line.append(String.format(Locale.ROOT, " %s %.0f MiB/s %.2f CPU s/GiB;", mode.label, r.mibPerSecond,
                        r.cpuPerGib));
                if (round > 0) {
                    results.get(mode).add(r);
                }
            }
            line.setLength(line.length() - 1);
            System.out.printf(Locale.ROOT, "%s (load %.2f)%n", line,
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
        for (Mode mode : modes) {
            List<Result> r = results.get(mode);
            System.out.printf(Locale.ROOT, "%-11s best %4.0f MiB/s, median %4.0f MiB/s; CPU per GiB best %.2f s, median %.2f s%n",
                    mode.label + ":", best(r, Result::mibPerSecond), median(r, Result::mibPerSecond),
                    -best(r, x -> -x.cpuPerGib), median(r, Result::cpuPerGib));
        }
        if (modes.contains(Mode.PLAIN)) {
            List<Result> plain = results.get(Mode.PLAIN);
            for (Mode mode : modes) {
                if (mode == Mode.PLAIN) {
                    continue;
                }
                List<Result> r = results.get(mode);
                List<Double> speed = new ArrayList<>();
                List<Double> cpu = new ArrayList<>();
                for (int i = 0; i < r.size(); i++) {
                    speed.add(r.get(i).mibPerSecond / plain.get(i).mibPerSecond);
                    cpu.add(plain.get(i).cpuPerGib / r.get(i).cpuPerGib);
                }
                System.out.printf(Locale.ROOT, "ratio %s/unencrypted (target >= 0.90): speed best %.2f, median %.2f,"
                                + " median of rounds %.2f; CPU per GiB (unencrypted/%s) best %.2f, median %.2f,"
                                + " median of rounds %.2f%n", mode.label,
                        best(r, Result::mibPerSecond) / best(plain, Result::mibPerSecond),
                        median(r, Result::mibPerSecond) / median(plain, Result::mibPerSecond),
                        median(speed, Double::doubleValue), mode.label,
                        best(plain, x -> -x.cpuPerGib) / best(r, x -> -x.cpuPerGib),
                        median(plain, Result::cpuPerGib) / median(r, Result::cpuPerGib),
                        median(cpu, Double::doubleValue));
            }
        }
        System.exit(0);
    }

    private static <T> double best(List<T> list, ToDoubleFunction<T> f) {
        return list.stream().mapToDouble(f).max().orElse(Double.NaN);
    }

    private static <T> double median(List<T> list, ToDoubleFunction<T> f) {
        double[] v = list.stream().mapToDouble(f).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /**
     * 16 MiB files, alternately a ledger text (the same text every time, so after the first it costs chunking and
     * hashing only: the repository stores it once) and random bytes (incompressible: what is stored is mostly these,
     * the case where encryption weighs most).
     */
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
                ManagementFactory.getOperatingSystemMXBean();
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
                // made before the clock starts: the sample source copies every file's bytes
                var source = Fixtures.mapSource(files);
                System.gc();
                long cpu = os.getProcessCpuTime();
                long start = System.nanoTime();
                BackupResult result = Backup.pipeline().source(source).to(opened).build().run();
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
