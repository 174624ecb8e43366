package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A 5 GiB entry, generated as it is read (never on disk first), backs up and restores in a JVM with -Xmx256m. */
class LargeEntryIT {
    @TempDir
    Path temp;

    @Test
    void a_5_GiB_entry_backs_up_and_restores_with_a_256_MiB_heap() throws Exception {
        long size = 5L << 30;
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), LargeEntryMain.class.getName(),
                temp.resolve("repo").toString(), Long.toString(size)))
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("restored " + size + " bytes").contains("max heap").containsPattern("ok [0-9a-f]{64}");
        assertThat(output).doesNotContain("OutOfMemoryError");
    }
}
