package com.mintreplica.backup.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * A short, typical session (init, backup twice, list, verify, restore) run once by the build with
 * {@code -XX:ArchiveClassesAtExit}, so that {@code bin/mint-backup} starts from a class-data-sharing archive of the
 * classes such a session loads: about half the start-up time, which dominates short runs such as an unchanged backup.
 * Not part of the command line.
 */
final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        MintBackup.configureLogging(new String[0]);
        Path work = Files.createTempDirectory("mint-backup-cds");
        try {
            Path data = work.resolve("data");
            Files.createDirectories(data.resolve("sub"));
            Random random = new Random(1);
            for (int i = 0; i < 20; i++) {
                byte[] bytes = new byte[1000 + random.nextInt(600_000)];
                random.nextBytes(bytes);
                Files.write(data.resolve(i % 2 == 0 ? "sub/f" + i : "f" + i), bytes);
            }
            Files.createSymbolicLink(data.resolve("link"), Path.of("f1"));
            String repo = work.resolve("repo").toString();
            PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
            Map<String, String> env = Map.of();
            run(quiet, env, "init", "--repo", repo);
            run(quiet, env, "backup", "--repo", repo, data.toString());
            run(quiet, env, "backup", "--repo", repo, data.toString());
            run(quiet, env, "list", "--repo", repo);
            run(quiet, env, "list", "--repo", repo, "--json");
            run(quiet, env, "verify", "--repo", repo, "--read-data");
            run(quiet, env, "restore", "--repo", repo, "latest", "--target", work.resolve("restored").toString());
        } finally {
            try (Stream<Path> paths = Files.walk(work)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void run(PrintStream out, Map<String, String> env, String... args) {
        int code = MintBackup.run(args, out, out, env, false);
        if (code != 0) {
            throw new IllegalStateException("training step failed: " + String.join(" ", args));
        }
    }
}
