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
            Repositories r = Repositories.create(gpg, temp);
            String[] key = r.key();
            String a = r.a();
            String b = r.b();
            String writer = r.writer();
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

    /**
     * The other shape an operator's trees have: many small files, each its own blob (100,000 here, 60 MB), through
     * backup, copy into a second encrypted repository, a second backup after half the files went, prune (repacking),
     * verify --read-data, repair index, a writer's backup from an empty cache and restore, each in a 56 MiB heap.
     * Before the sets of ids that grow with the repository were sorted runs (32 bytes an id, 64 with a value; hash
     * tables took 46-91 and 91-183), packs held whole were cut by the heap, repacking read packs as streams, a copy
     * with keyed ids stopped keeping every target id twice, and prune and repair cut index objects at 32,768 blobs and
     * stopped reading the index back beside their plans, copy, prune and repair index ran out of memory here (at twice
     * the files, copy needed 160 MiB and prune more than that; at a million files, 256 MiB ran out). The commands fail
     * at 40-48 MiB now. On the shipped jar alone, as the launcher runs them: the tests' class path takes 8 MiB and
     * more of heap of its own (see {@link ManyFilesIT#shippedJar}).
     */
    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void many_small_files_each_a_blob_go_through_every_command_in_a_56_MiB_heap() throws Exception {
        Path tree = temp.resolve("tree");
        SplittableRandom random = new SplittableRandom(56);
        int files = 100_000;
        for (int i = 0; i < files; i++) {
            Path dir = tree.resolve(String.format("d%03d", i / 1000));
            if (i % 1000 == 0) {
                Files.createDirectories(dir);
            }
            Files.write(dir.resolve(String.format("f%05d.bin", i)), content(random, i));
        }
        String heap = "-Xmx56m";
        try (GnuPG gpg = GnuPG.start()) {
            Repositories r = Repositories.create(gpg, temp);
            String[] key = r.key();
            assertThat(shipped(heap, "backup", "--repo", r.a(), "--writer-key", r.writer(), "--cache-dir",
                    temp.resolve("cache").toString(), tree.toString())).contains("saved: ");
            assertThat(shipped(heap, concat(new String[] {"copy", "--from", r.a(), "--to", r.b()}, key)))
                    .contains("copied 1 snapshot");
            // half the files go; prune keeps the second snapshot and repacks the packs the first one shared with it
            for (int d = 0; d < files / 1000; d += 2) {
                try (var gone = Files.walk(tree.resolve(String.format("d%03d", d)))) {
                    for (Path path : gone.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(path);
                    }
                }
            }
            assertThat(shipped(heap, "backup", "--repo", r.a(), "--writer-key", r.writer(), "--cache-dir",
                    temp.resolve("cache").toString(), tree.toString())).contains("saved: ");
            assertThat(shipped(heap, concat(new String[] {"prune", "--repo", r.a(), "--keep-last", "1"}, key)))
                    .contains("removed 1 snapshot").doesNotContain(" 0 repacked");
            assertThat(shipped(heap, concat(new String[] {"verify", "--read-data", "--repo", r.a()}, key)))
                    .contains("no problems found");
            // the copy's repository, whose index is still the copy's checkpoints: repair writes it anew
            assertThat(shipped(heap, concat(new String[] {"repair", "index", "--repo", r.b()}, key)))
                    .contains("packs in the new index", "wrote ");
            // a writer's index load without cached ids (a new host): every index object read
            assertThat(shipped(heap, "backup", "--repo", r.a(), "--writer-key", r.writer(), "--cache-dir",
                    temp.resolve("new-cache").toString(), tree.toString())).contains("saved: ");
            Path restored = temp.resolve("restored");
            shipped(heap, concat(new String[] {"restore", "--repo", r.b(), "latest", "--target", restored.toString()},
                    key));
            SplittableRandom again = new SplittableRandom(56);
            Path base = restored.resolve(tree.toString().substring(1));
            for (int i = 0; i < files; i++) {
                Path file = base.resolve(String.format("d%03d", i / 1000)).resolve(String.format("f%05d.bin", i));
                assertThat(Files.readAllBytes(file)).as(file.toString()).isEqualTo(content(again, i));
            }
        }
    }

    /** A small file's content of its own: its number, then 100 to 1,100 random bytes. */
    private static byte[] content(SplittableRandom random, int i) {
        byte[] head = ("file " + i + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[head.length + random.nextInt(100, 1101)];
        random.nextBytes(body);
        System.arraycopy(head, 0, body, 0, head.length);
        return body;
    }

    /** Two encrypted repositories to one key ({@code a} with a writer key), made in a large heap. */
    private record Repositories(String[] key, String a, String b, String writer) {
        static Repositories create(GnuPG gpg, Path temp) throws Exception {
            GnuPG.Key ops = gpg.generate("Ops <ops@mint.example>", "future-default");
            String[] key = {"--key", ops.secretFile().toString(), "--passphrase-file", gpg.passphraseFile.toString()};
            Repositories r = new Repositories(key, temp.resolve("a").toString(), temp.resolve("b").toString(),
                    temp.resolve("writer.key").toString());
            cli("-Xmx256m", "init", "--repo", r.a, "--encrypt-to", ops.publicFile().toString());
            cli("-Xmx256m", "init", "--repo", r.b, "--encrypt-to", ops.publicFile().toString());
            cli("-Xmx256m", concat(new String[] {"key", "writer", "export", "--repo", r.a, "--name", "host", "--out",
                    r.writer}, key));
            return r;
        }
    }

    /** Runs the CLI in a JVM with this heap and the launcher's collector settings; its output, once it exited 0. */
    private static String cli(String heap, String... args) throws Exception {
        return run(System.getProperty("java.class.path"), heap, args);
    }

    /** The same on the shipped jar alone, as the launcher runs it. */
    private static String shipped(String heap, String... args) throws Exception {
        return run(ManyFilesIT.shippedJar(), heap, args);
    }

    private static String run(String classPath, String heap, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("-XX:+UseSerialGC", "-XX:PretenureSizeThreshold=262144",
                MintBackup.class.getName()));
        command.addAll(Arrays.asList(args));
        Process p = ManyFilesIT.java(classPath, heap, command);
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
