package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup's budgets fit the heap. Their floors keep packs at full size (two packs and two of the largest chunks of
 * data, two packs of trees, two chunks read ahead): with 64 MiB packs they came to 288 MiB, and a backup of large files
 * in a 160 MiB heap ran out of memory whatever its memory budget said. They now take at most a third of the heap
 * together, and packs come out shorter.
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
}
