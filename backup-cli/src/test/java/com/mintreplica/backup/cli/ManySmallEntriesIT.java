package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 250,000 tiny entries (a mail spool, generated as they are read) back up and restore in a JVM with -Xmx256m, with
 * the default memory budget and worker count, within a time limit. Until the pack budget was fixed, this backup never
 * finished: every tiny blob took a 1 KiB unit of a budget given back only when a full pack was stored, so the budget
 * ran out long before a pack filled and the reader and all workers waited forever.
 */
class ManySmallEntriesIT {
    private static final int ENTRIES = 250_000;
    private static final long LIMIT_MINUTES = 10;

    @TempDir
    Path temp;

    @Test
    @Timeout(value = LIMIT_MINUTES + 1, unit = TimeUnit.MINUTES)
    void a_quarter_million_tiny_entries_back_up_and_restore_with_a_256_MiB_heap() throws Exception {
        Path log = temp.resolve("output.txt");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), ManySmallEntriesMain.class.getName(),
                temp.resolve("repo").toString(), Integer.toString(ENTRIES)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean ended = p.waitFor(LIMIT_MINUTES, TimeUnit.MINUTES);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(ended).as("the backup and restore end within %d minutes; output:%n%s", LIMIT_MINUTES, output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("backed up " + ENTRIES + " entries", "restored " + ENTRIES + " entries", "max heap")
                .containsPattern("ok [0-9a-f]{64}")
                .doesNotContain("OutOfMemoryError");
        // The child really ran with the small heap (not a default or an inherited JAVA_TOOL_OPTIONS one).
        java.util.regex.Matcher heap = java.util.regex.Pattern.compile("max heap (\\d+)").matcher(output);
        assertThat(heap.find()).as(output).isTrue();
        assertThat(Long.parseLong(heap.group(1))).as("Runtime.maxMemory() of the child JVM")
                .isLessThanOrEqualTo(256L << 20).isGreaterThan(128L << 20);
    }
}
