package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tree of 300,000 files backs up, backs up unchanged, restores and verifies in a JVM with a 64 MiB heap, and
 * {@code mint-backup ls} lists it in one too. A flat manifest of that many entries (and an index of that many blobs
 * held as objects) does not fit such a heap: the snapshot must be streamed, directory by directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ManyFilesIT {
    static final int FILES = 300_000;
    /** 300,000 files in 600 directories in 30 groups. */
    static final int ENTRIES = FILES + FILES / ManyFilesMain.PER_DIRECTORY
            + FILES / ManyFilesMain.PER_DIRECTORY / ManyFilesMain.DIRECTORIES_PER_GROUP;

    @TempDir
    static Path temp;

    /** A JVM with this heap and the tests' class path, running {@code args} (a main class and its arguments). */
    static Process java(String heap, List<String> args) throws Exception {
        return java(System.getProperty("java.class.path"), heap, args);
    }

    /** A JVM on this class path (the shipped jar alone: {@link #shippedJar}). */
    static Process java(String classPath, String heap, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                heap, "-cp", classPath));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /**
     * The shaded jar the build ships (target/mint-backup.jar, made before the ITs run): a JVM on it alone is what the
     * launcher starts. The tests' whole class path holds about a hundred jars, whose central directories the JDK keeps
     * on the heap (8 MiB and more), which a test that measures the heap must not count.
     */
    static String shippedJar() {
        Path jar = Path.of("target", "mint-backup.jar").toAbsolutePath();
        if (!java.nio.file.Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the ITs through the build (mvn verify)");
        }
        return jar.toString();
    }

    @Test
    @Order(1)
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    void three_hundred_thousand_files_back_up_and_restore_with_a_64_MiB_heap() throws Exception {
        Process p = java("-Xmx64m", List.of(ManyFilesMain.class.getName(), temp.resolve("repo").toString(),
                Integer.toString(FILES)));
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(35, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("first backup: " + ENTRIES + " entries").contains("restored " + ENTRIES + " entries")
                .contains("verify ok").containsPattern("ok [0-9a-f]{64}").doesNotContain("OutOfMemoryError");
    }

    @Test
    @Order(2)
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void ls_streams_a_snapshot_of_300_000_entries_with_a_64_MiB_heap() throws Exception {
        for (boolean json : new boolean[] {false, true}) {
            List<String> args = new ArrayList<>(List.of(MintBackup.class.getName(), "ls", "--repo",
                    temp.resolve("repo").toString(), "latest"));
            if (json) {
                args.add("--json");
            }
            Process p = java("-Xmx64m", args);
            long lines = 0;
            long files = 0;
            StringBuilder head = new StringBuilder();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    lines++;
                    if (line.contains("/f") && line.contains(".bin")) {
                        files++;
                    }
                    if (head.length() < 4000) {
                        head.append(line).append('\n');
                    }
                }
            }
            assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
            assertThat(p.exitValue()).as(head.toString()).isZero();
            assertThat(files).as("file entries listed (json: %s)", json).isEqualTo(FILES);
            if (!json) {
                assertThat(lines).isEqualTo(ENTRIES);
            }
        }
    }
}
