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
 * A short, typical session (init, backup twice, list, verify, restore; again encrypted where gpg can make a key)
 * run by bin/mint-backup-cds (in the build, and where a package is installed) with {@code -XX:DumpLoadedClassList},
 * so that {@code bin/mint-backup} starts from a class-data-sharing archive of the classes such a session loads: about
 * half the start-up time, which dominates short runs such as an unchanged backup.
 * Not part of the command line.
 */
final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        launcherJarClasses();
        // Every configured security provider: the first look-up of a JCE service loads the providers of other
        // modules in an order that varies from run to run (until it finds the one it needs), so any of them may load.
        java.security.Security.getProviders();
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
            encrypted(work, data, quiet);
            everyCommandsHelp(quiet);
        } finally {
            try (Stream<Path> paths = Files.walk(work)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * What {@code java -jar} does before main and this {@code -cp} training does not: open the jar verifying its
     * manifest (JarVerifier...). Not archived, those classes are read from the runtime image at every start.
     */
    private static void launcherJarClasses() throws IOException {
        java.security.CodeSource source = CdsTraining.class.getProtectionDomain().getCodeSource();
        if (source == null || !source.getLocation().getPath().endsWith(".jar")) {
            return; // run from classes (a test): no jar
        }
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(
                new java.io.File(java.net.URI.create(source.getLocation().toString())), true)) {
            jar.getManifest();
        }
    }

    /**
     * {@code --version} and every command's {@code --help}: each start builds the whole command model, which loads
     * classes of commands the session above does not run (key writers, repair, jobs...); archived, they are not read
     * from the jar at every start. (picocli's own classes are Java 5 class files: the archive holds them, unlinked, so
     * they are still verified at every start.)
     */
    private static void everyCommandsHelp(PrintStream quiet) {
        MintBackup.run(new String[] {"--version"}, quiet, quiet, Map.of(), false);
        MintBackup.run(new String[] {"--help"}, quiet, quiet, Map.of(), false);
        help(MintBackup.model(), new String[0], quiet);
    }

    private static void help(picocli.CommandLine cli, String[] path, PrintStream quiet) {
        for (Map.Entry<String, picocli.CommandLine> sub : cli.getSubcommands().entrySet()) {
            String[] at = concat(path, sub.getKey());
            MintBackup.run(concat(at, "--help"), quiet, quiet, Map.of(), false);
            help(sub.getValue(), at, quiet);
        }
    }

    /** The same with an encrypted repository, when gpg is installed to make a key (classes of Bouncy Castle). */
    private static void encrypted(Path work, Path data, PrintStream quiet) throws IOException {
        Path gpg = Path.of("/usr/bin/gpg");
        if (!Files.isExecutable(gpg)) {
            return;
        }
        Path home = Files.createTempDirectory(Path.of("/tmp"), "mbcds");
        try {
            Path passphrase = home.resolve("passphrase");
            Files.writeString(passphrase, "training only\n");
            String[] common = {gpg.toString(), "--homedir", home.toString(), "--batch", "--pinentry-mode", "loopback",
                "--passphrase-file", passphrase.toString()};
            if (!gpg(common, home, null, "--quick-gen-key", "cds <cds@localhost>", "future-default", "default", "never")
                    || !gpg(common, home, home.resolve("pub.asc"), "--armor", "--export", "cds@localhost")
                    || !gpg(common, home, home.resolve("sec.asc"), "--armor", "--export-secret-keys", "cds@localhost")) {
                return;
            }
            String repo = work.resolve("encrypted").toString();
            String[] key = {"--key", home.resolve("sec.asc").toString(), "--passphrase-file", passphrase.toString()};
            Map<String, String> env = Map.of();
            run(quiet, env, "init", "--repo", repo, "--encrypt-to", home.resolve("pub.asc").toString());
            run(quiet, env, concat(new String[] {"backup", "--repo", repo, data.toString()}, key));
            run(quiet, env, concat(new String[] {"backup", "--repo", repo, data.toString()}, key));
            run(quiet, env, concat(new String[] {"restore", "--repo", repo, "latest", "--target",
                work.resolve("restored-encrypted").toString()}, key));
            // Backups through a writer key (no secret key: bench/compare-restic.sh's way), first and unchanged: its
            // classes (the writer's signatures, the JDK's providers a first Mac look-up loads) would otherwise be
            // read from the jar and the runtime image at every such start.
            String writer = work.resolve("writer.key").toString();
            run(quiet, env, concat(new String[] {"key", "writer", "export", "--repo", repo, "--name", "cds", "--out",
                writer}, key));
            String[] throughWriter = {"backup", "--repo", repo, "--writer-key", writer, "--cache-dir",
                work.resolve("writer-cache").toString(), data.toString()};
            run(quiet, env, throughWriter);
            run(quiet, env, throughWriter);
        } finally {
            // the agent gpg started for this home (run by a package's postinst, it must not stay behind)
            if (Files.isExecutable(Path.of("/usr/bin/gpgconf"))) {
                gpg(new String[] {"/usr/bin/gpgconf", "--homedir", home.toString()}, home, null, "--kill", "gpg-agent");
            }
            try (Stream<Path> paths = Files.walk(home)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static boolean gpg(String[] common, Path home, Path output, String... args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(concat(common, args)).redirectErrorStream(output == null);
        pb.redirectOutput(output == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(output.toFile()));
        if (output != null) {
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        try {
            return pb.start().waitFor() == 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void run(PrintStream out, Map<String, String> env, String... args) {
        int code = MintBackup.run(args, out, out, env, false);
        if (code != 0) {
            throw new IllegalStateException("training step failed: " + String.join(" ", args));
        }
    }
}
