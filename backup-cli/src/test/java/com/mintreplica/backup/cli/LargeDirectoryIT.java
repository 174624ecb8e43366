package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.gpg.GnuPG;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One directory of 150,000 files (an upload directory, a mail spool) backs up, backs up unchanged, restores, verifies
 * and lists in a heap that held about a third of its listing as objects. A listing's entries took about a kilobyte of
 * heap each while the backup built it, while the next backup compared with it, and while a restore or {@code ls} read
 * it; they are now held as their encoded bytes (TreeBuilder's batches, {@code TreeFormat}'s entries parsed on access)
 * or in compact records (the parent's, {@code ParentTree}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LargeDirectoryIT {
    static final int FILES = Integer.getInteger("largeDirectory.files", 150_000);
    static final String HEAP = "-Xmx" + System.getProperty("largeDirectory.heap", "160m");
    static final String HEAP_300K = "-Xmx" + System.getProperty("largeDirectory.heap300k", "128m");
    /** The build that held a large listing's plaintext while it listed it ran out of memory here. */
    static final String LS_HEAP_300K = "-Xmx" + System.getProperty("largeDirectory.ls300k", "96m");

    @TempDir
    static Path temp;

    @Test
    @Order(1)
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void a_directory_of_150_000_files_backs_up_twice_restores_and_verifies_in_a_small_heap() throws Exception {
        Process p = ManyFilesIT.java(HEAP, List.of(ManyFilesMain.class.getName(), temp.resolve("repo").toString(),
                Integer.toString(FILES), Integer.toString(FILES)));
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(12, TimeUnit.MINUTES)).isTrue();
        // the files, their directory and the two directories above it
        int entries = FILES + 2;
        assertThat(output).doesNotContain("OutOfMemoryError").contains("first backup: " + entries + " entries")
                .contains("unchanged backup: 0 bytes read, 0 new").contains("restored " + entries + " entries")
                .contains("verify ok").containsPattern("ok [0-9a-f]{64}");
        assertThat(p.exitValue()).as(output).isZero();
    }

    /**
     * Twice as many files back up, back up unchanged, restore and verify in a heap their listing's bytes (some 60 MiB)
     * would fill twice over: the backup hashes and compresses a large listing as it writes it, the next one reads the
     * parent's as a stream, and the restore and verify walk it from a temporary file. Before, the backup held the
     * listing three times over (in blocks, copied into one array, compressed into a buffer of its size) and read the
     * parent's whole, and readers held its plaintext: the restore ran out of memory in 192 MiB.
     */
    @Test
    @Order(3)
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void a_directory_of_300_000_files_backs_up_twice_restores_and_verifies_in_a_heap_its_listing_fills_half_of()
            throws Exception {
        Path repo = temp.resolve("repo-300k");
        Process p = ManyFilesIT.java(HEAP_300K, List.of(ManyFilesMain.class.getName(), repo.toString(),
                Integer.toString(2 * FILES), Integer.toString(2 * FILES)));
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(8, TimeUnit.MINUTES)).isTrue();
        int entries = 2 * FILES + 2;
        assertThat(output).doesNotContain("OutOfMemoryError").contains("first backup: " + entries + " entries")
                .contains("unchanged backup: 0 bytes read, 0 new").contains("restored " + entries + " entries")
                .contains("verify ok").containsPattern("ok [0-9a-f]{64}");
        assertThat(p.exitValue()).as(output).isZero();
    }

    @Test
    @Order(4)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void ls_lists_300_000_files_in_a_heap_their_listing_would_fill() throws Exception {
        assertThat(ls(LS_HEAP_300K, temp.resolve("repo-300k"))).isEqualTo(2 * FILES);
    }

    /**
     * {@code verify --read-data} reads the tree pack whole and checks each blob in it: the listing of 300,000 files is
     * hashed as it is decoded, not decoded whole beside the pack (the build before ran out of memory at 128 MiB).
     */
    @Test
    @Order(4)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void verify_reads_the_300_000_files_listing_in_the_same_heap() throws Exception {
        assertThat(cli(LS_HEAP_300K, "verify", "--read-data", "--repo", temp.resolve("repo-300k").toString()))
                .doesNotContain("ran out of memory").contains("no problems found").contains("rc=0");
    }

    /**
     * {@code copy} of the 300,000 files into another repository: the listing is walked from a temporary file and
     * stored as a stream, not read whole and compressed into a buffer of its size (the build before ran out of memory
     * at 192 MiB).
     */
    @Test
    @Order(4)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void copy_sends_the_300_000_files_to_another_repository_in_a_heap_their_listing_fills_half_of() throws Exception {
        String target = temp.resolve("repo-300k-copy").toString();
        assertThat(cli("-Xmx256m", "init", "--repo", target)).contains("rc=0");
        assertThat(cli(HEAP_300K, "copy", "--from", temp.resolve("repo-300k").toString(), "--to", target))
                .doesNotContain("ran out of memory").contains("copied 2 snapshots").contains("rc=0");
        assertThat(ls(LS_HEAP_300K, Path.of(target))).isEqualTo(2 * FILES);
    }

    /**
     * {@code rewrite --exclude} leaves one of the 300,000 files out of the latest snapshot: what is kept is noted as
     * indexes into the listing, and the new listing is hashed and compressed as it is written (the build before held
     * the kept entries as objects and the new listing's plaintext, and ran out of memory at 128 MiB and at 256).
     * Last, as it adds a snapshot.
     */
    @Test
    @Order(6)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void rewrite_leaves_one_of_the_300_000_files_out_in_a_heap_their_listing_fills_half_of() throws Exception {
        Path repo = temp.resolve("repo-300k");
        assertThat(cli(HEAP_300K, "rewrite", "--repo", repo.toString(), "--exclude", "f000007.bin", "latest"))
                .doesNotContain("ran out of memory").contains("1 snapshot rewritten").contains("rc=0");
        assertThat(ls(LS_HEAP_300K, repo)).isEqualTo(2 * FILES - 1);
    }

    /**
     * 150,000 files on disk in one directory back up through the command line, twice, into a passphrase-encrypted
     * repository, in 88 MiB. The file-system walk held each child of the directory it was in as a {@code Path} and the
     * bytes of its whole path (some 170 bytes a child); it keeps their names in one array now. The build before that
     * ran out of memory in the unchanged backup at 96 MiB and in the first at 80.
     *
     * <p>The unchanged backup then runs in 72 MiB with the launcher's collector, and so does a writer's through its
     * parent cache into a repository encrypted to an OpenPGP key. The unchanged backup held the parent's records of the
     * directory (some 190 bytes a file) and the compressed form of its new listing until it was found unchanged; they
     * go to temporary files now. A writer's parent cache handed over the directory's files as a map (some 700 bytes a
     * file); each file is looked up by path now. The build before ran out of memory in the unchanged backup at 72 MiB,
     * and in the writer's at 96 MiB. A copy of the repository into another passphrase-encrypted one fits the same
     * 72 MiB, as its packs are cut at {@code PackWriter.MAX_BLOBS}.
     */
    @Test
    @Order(5)
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void a_directory_of_150_000_files_on_disk_backs_up_unchanged_and_copies_in_72_mib_a_writer_too() throws Exception {
        Path files = java.nio.file.Files.createDirectories(temp.resolve("on-disk").resolve("mail"));
        for (int i = 0; i < FILES; i++) {
            java.nio.file.Files.write(files.resolve(String.format("file-%06d.txt", i)),
                    ("message " + i + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        Path passphrase = java.nio.file.Files.writeString(temp.resolve("passphrase"), "large directory\n");
        Path repo = temp.resolve("repo-on-disk");
        String heap = "-Xmx" + System.getProperty("largeDirectory.onDiskHeap", "88m");
        String unchangedHeap = "-Xmx" + System.getProperty("largeDirectory.onDiskUnchangedHeap", "72m");
        String[] init = {"init", "--repo", repo.toString(), "--passphrase-file", passphrase.toString()};
        String[] backup = {"backup", "--repo", repo.toString(), "--passphrase-file", passphrase.toString(),
                files.toString()};
        assertThat(cli("-Xmx256m", init)).contains("rc=0");
        String first = launched(heap, backup);
        assertThat(first).doesNotContain("ran out of memory").contains("rc=0");
        String second = launched(unchangedHeap, backup);
        assertThat(second).doesNotContain("ran out of memory").contains("rc=0").contains("(0 B read");
        assertThat(cli("-Xmx256m", "snapshots", "--repo", repo.toString(), "--passphrase-file",
                passphrase.toString())).contains("rc=0").contains("2 snapshots");

        // A copy into another passphrase-encrypted repository sends every blob again (its ids are keyed): packs of
        // 100,000 tiny blobs and more held some 250 bytes of heap a blob, and the build before ran out at 96 MiB.
        Path copy = temp.resolve("repo-on-disk-copy");
        assertThat(cli("-Xmx256m", "init", "--repo", copy.toString(), "--passphrase-file", passphrase.toString()))
                .contains("rc=0");
        assertThat(launched(unchangedHeap, "copy", "--from", repo.toString(), "--to", copy.toString(),
                "--passphrase-file", passphrase.toString())).doesNotContain("ran out of memory")
                .contains("copied 2 snapshots").contains("rc=0");

        try (GnuPG gpg = GnuPG.start()) {
            GnuPG.Key ops = gpg.generate("Ops <ops@mint.example>", "future-default");
            Path keyed = temp.resolve("repo-on-disk-keyed");
            Path writer = temp.resolve("writer.key");
            assertThat(cli("-Xmx256m", "init", "--repo", keyed.toString(), "--encrypt-to", ops.publicFile().toString()))
                    .contains("rc=0");
            assertThat(cli("-Xmx256m", "key", "writer", "export", "--repo", keyed.toString(), "--name", "host",
                    "--out", writer.toString(), "--key", ops.secretFile().toString(), "--passphrase-file",
                    gpg.passphraseFile.toString())).contains("rc=0");
            String[] write = {"backup", "--repo", keyed.toString(), "--writer-key", writer.toString(), "--cache-dir",
                    temp.resolve("writer-cache").toString(), files.toString()};
            assertThat(launched(heap, write)).doesNotContain("ran out of memory").contains("rc=0");
            assertThat(launched(unchangedHeap, write)).doesNotContain("ran out of memory").contains("rc=0")
                    .contains("(0 B read");
        }
    }

    /** Runs the shipped jar's command line in a JVM of that heap; its output, then "rc=" and its exit status. */
    private static String cli(String heap, String... args) throws Exception {
        return cli(List.of(), heap, args);
    }

    /** {@link #cli} with the launcher's collector settings (bin/mint-backup), as an operator's backup runs. */
    private static String launched(String heap, String... args) throws Exception {
        return cli(List.of("-XX:+UseSerialGC", "-XX:PretenureSizeThreshold=262144"), heap, args);
    }

    private static String cli(List<String> jvmOptions, String heap, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(jvmOptions);
        command.add(MintBackup.class.getName());
        command.addAll(List.of(args));
        Process p = ManyFilesIT.java(ManyFilesIT.shippedJar(), heap, command);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return output + "\nrc=" + p.exitValue();
    }

    @Test
    @Order(2)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void ls_lists_the_directory_in_the_same_heap() throws Exception {
        assertThat(ls(HEAP, temp.resolve("repo"))).isEqualTo(FILES);
    }

    /** Lists the latest snapshot of {@code repo} in a JVM of that heap; returns how many files of the directory it named. */
    private static long ls(String heap, Path repo) throws Exception {
        Process p = ManyFilesIT.java(heap, List.of(MintBackup.class.getName(), "ls", "--repo", repo.toString(),
                "--no-cache", "latest"));
        long files = 0;
        StringBuilder tail = new StringBuilder();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.contains("g000/d0000/f") && line.endsWith(".bin")) {
                    files++;
                } else {
                    tail.append(line).append('\n');
                }
            }
        }
        assertThat(p.waitFor(4, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(tail.toString()).isZero();
        assertThat(tail.toString()).doesNotContain("OutOfMemoryError");
        return files;
    }
}
