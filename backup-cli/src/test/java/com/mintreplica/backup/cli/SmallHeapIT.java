package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.gpg.GnuPG;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup's budgets fit the heap. Their floors keep packs at full size (two packs and two of the largest chunks of
 * data, two packs of trees, two chunks read ahead): with 64 MiB packs they came to 288 MiB, and a backup of large files
 * in a 160 MiB heap ran out of memory whatever its memory budget said. They now take at most two fifths of the heap
 * together, less the chunker's buffer, and packs come out shorter (BackupRun.Budgets).
 */
class SmallHeapIT {
    @TempDir
    Path temp;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void large_packs_back_up_and_verify_in_a_heap_smaller_than_their_budgets_floors() throws Exception {
        Process p = ManyFilesIT.java("-Xmx160m", List.of("-XX:+UseSerialGC", SmallHeapMain.class.getName(),
                temp.resolve("repo").toString()));
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean ended = p.waitFor(5, TimeUnit.MINUTES);
        assertThat(ended).as(output).isTrue();
        assertThat(output).doesNotContain("OutOfMemoryError").contains("backed up ", "verified ok");
        assertThat(p.exitValue()).as(output).isZero();
    }

    /**
     * What an operator of a small host (or an application embedding the library with its own small heap) tries: large
     * files of random bytes (chunks up to 8 MiB that do not compress), an encrypted repository, the CLI's collector
     * settings and a 64 MiB heap, through backup, copy into a second encrypted repository, verify and restore. The
     * backup ran out of memory below 96 MiB, and the copy and verify in 64 MiB: each worker's encodings (compressed
     * and encrypted, up to twice a chunk), the copy's four blobs read ahead and verify's pack read (twice the pack's
     * size, in pieces then whole) were counted in no budget, and the chunker's 16 MiB buffer was a quarter of the heap.
     */
    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void large_random_files_back_up_copy_verify_and_restore_encrypted_in_a_64_MiB_heap() throws Exception {
        Path tree = temp.resolve("tree");
        Files.createDirectories(tree);
        SplittableRandom random = new SplittableRandom(64);
        byte[] block = new byte[1 << 20];
        List<String> digests = new ArrayList<>();
        for (int f = 0; f < 3; f++) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (OutputStream out = Files.newOutputStream(tree.resolve("f" + f + ".bin"))) {
                for (int m = 0; m < 48; m++) {
                    random.nextBytes(block);
                    sha.update(block);
                    out.write(block);
                }
            }
            digests.add(HexFormat.of().formatHex(sha.digest()));
        }
        try (GnuPG gpg = GnuPG.start()) {
            GnuPG.Key ops = gpg.generate("Ops <ops@mint.example>", "future-default");
            String[] key = {"--key", ops.secretFile().toString(), "--passphrase-file", gpg.passphraseFile.toString()};
            String a = temp.resolve("a").toString();
            String b = temp.resolve("b").toString();
            String writer = temp.resolve("writer.key").toString();
            cli("-Xmx256m", "init", "--repo", a, "--encrypt-to", ops.publicFile().toString());
            cli("-Xmx256m", "init", "--repo", b, "--encrypt-to", ops.publicFile().toString());
            cli("-Xmx256m", concat(new String[] {"key", "writer", "export", "--repo", a, "--name", "host", "--out", writer},
                    key));
            assertThat(cli("-Xmx64m", "backup", "--repo", a, "--writer-key", writer, "--cache-dir",
                    temp.resolve("cache").toString(), tree.toString())).contains("144 MiB new");
            assertThat(cli("-Xmx64m", concat(new String[] {"copy", "--from", a, "--to", b}, key)))
                    .contains("copied 1 snapshot");
            assertThat(cli("-Xmx64m", concat(new String[] {"verify", "--read-data", "--repo", b}, key)))
                    .contains("no problems found");
            Path restored = temp.resolve("restored");
            cli("-Xmx64m", concat(new String[] {"restore", "--repo", b, "latest", "--target", restored.toString()}, key));
            for (int f = 0; f < 3; f++) {
                Path file = restored.resolve(tree.toString().substring(1)).resolve("f" + f + ".bin");
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                try (var in = Files.newInputStream(file)) {
                    int n;
                    while ((n = in.read(block)) > 0) {
                        sha.update(block, 0, n);
                    }
                }
                assertThat(HexFormat.of().formatHex(sha.digest())).as(file.toString()).isEqualTo(digests.get(f));
            }
        }
    }

    /** Runs the CLI in a JVM with this heap and the launcher's collector settings; its output, once it exited 0. */
    private static String cli(String heap, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("-XX:+UseSerialGC", "-XX:PretenureSizeThreshold=262144",
                MintBackup.class.getName()));
        command.addAll(Arrays.asList(args));
        Process p = ManyFilesIT.java(heap, command);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as(output).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", args) + ":\n" + output).isZero();
        return output;
    }

    private static String[] concat(String[] first, String[] second) {
        String[] all = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }
}
