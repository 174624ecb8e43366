package com.mintreplica.backup.testkit.gpg;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
/**
 * For tests that need the real gpg (encryption interop, CLI key handling, doctor).
 *
 * <p>The real gpg binary (/usr/bin/gpg, 2.2) in a throwaway GNUPGHOME, always with
 * {@code --batch --pinentry-mode loopback --passphrase-file}: the passphrase never is a process argument.
 */
public final class GnuPG implements AutoCloseable {
    public static final String PASSPHRASE = "correct horse battery staple";

    public final Path home;
    public final Path passphraseFile;

    /** A key made by {@code gpg --quick-gen-key}, exported to files. */
    public record Key(String userId, String fingerprint, Path publicFile, Path secretFile) {
    }

    /** What a gpg run gave. */
    public record Result(int exit, byte[] stdout, String stderr) {
        public Result check(String what) {
            if (exit != 0) {
                throw new IllegalStateException(what + " failed with exit " + exit + ": " + stderr);
            }
            return this;
        }
    }

    private GnuPG(Path home) throws IOException {
        this.home = home;
        this.passphraseFile = home.resolve("passphrase");
        Files.writeString(passphraseFile, PASSPHRASE + "\n");
    }

    public static GnuPG start() {
        try {
            // short path: gpg-agent's socket lives in GNUPGHOME
            Path home = Files.createTempDirectory(Path.of("/tmp"), "mbgpg");
            Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            return new GnuPG(home);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code gpg --quick-gen-key USERID ALGO default never}: algo {@code default} (RSA) or {@code future-default} (ed25519/cv25519). */
    public Key generate(String userId, String algo) {
        run(null, "--quick-gen-key", userId, algo, "default", "never").check("gpg --quick-gen-key");
        String colons = new String(run(null, "--with-colons", "--list-keys", userId).check("list").stdout(), StandardCharsets.UTF_8);
        String fingerprint = colons.lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
        try {
            Path pub = home.resolve(fingerprint + ".asc");
            Files.write(pub, run(null, "--armor", "--export", fingerprint).check("export").stdout());
            Path sec = home.resolve(fingerprint + "-secret.asc");
            Files.write(sec, run(null, "--armor", "--export-secret-keys", fingerprint).check("export secret").stdout());
            return new Key(userId, fingerprint, pub, sec);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs gpg with the common batch options; {@code stdin} may be null. */
    public Result run(byte[] stdin, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/gpg", "--homedir", home.toString(), "--batch", "--yes",
                "--pinentry-mode", "loopback", "--passphrase-file", passphraseFile.toString(), "--trust-model", "always"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).start();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin);
                }
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("gpg did not finish: " + cmd);
            }
            return new Result(p.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs another program (zstd), feeding {@code stdin}. */
    public static byte[] pipe(byte[] stdin, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).start();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            try (var in = p.getOutputStream()) {
                in.write(stdin);
            }
            p.waitFor(120, TimeUnit.SECONDS);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + new String(err.join(), StandardCharsets.UTF_8));
            }
            return out.join();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            new ProcessBuilder("/usr/bin/gpgconf", "--homedir", home.toString(), "--kill", "gpg-agent")
                    .redirectErrorStream(true).start().waitFor(20, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException ignored) {
            // best effort
        }
        // The agent removes its sockets as it exits, possibly while this walks: a file that vanished is not an error
        // (Files.walk threw UncheckedIOException out of close, failing a test class that had passed).
        for (int attempt = 0; attempt < 3 && Files.exists(home); attempt++) {
            try (Stream<Path> files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException | UncheckedIOException ignored) {
                // best effort: try again
            }
        }
    }
}
