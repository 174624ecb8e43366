package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process stopped by SIGTERM (systemd, a container stop) or SIGINT (Ctrl-C) gives its lease back on the way out, as
 * restic does: the lock object stayed, and other hosts' prunes were refused until it went stale, half an hour later.
 * (SIGKILL cannot be caught: its lock is taken as stale by age, or at once by a process on the same host.) The CLI's
 * one-shot commands set {@code mint.backup.releaseLocksOnExit}; without it (a daemon, an application that stops its
 * runs gracefully) the lease stays until the run ends.
 */
@Timeout(120)
class LockReleaseTest {
    @TempDir
    Path temp;

    @Test
    void sigterm_and_sigint_remove_the_lock_the_process_held() throws Exception {
        Path repo = temp.resolve("repo");
        Repository.init(new LocalDirectorySink(repo)).close();
        for (String signal : List.of("TERM", "INT", "TERM without the property")) {
            boolean release = !signal.endsWith("property");
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dmint.backup.releaseLocksOnExit=" + release, "-cp", System.getProperty("java.class.path"),
                    LockHolderMain.class.getName(), repo.toString())
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.equals("locked")) {
                // start-up output
            }
            assertThat(line).as("the holder took its lease").isEqualTo("locked");
            assertThat(locks(repo)).as("held").hasSize(1);

            new ProcessBuilder("kill", "-" + signal.split(" ")[0], String.valueOf(p.pid())).start().waitFor();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            StringBuilder rest = new StringBuilder();
            while ((line = out.readLine()) != null) {
                rest.append(line).append('\n');
            }
            if (release) {
                assertThat(locks(repo)).as("after SIG%s: %s", signal, rest).isEmpty();
                assertThat(rest.toString()).contains("interrupted: the lock of prune");
            } else {
                assertThat(locks(repo)).as("after SIG%s: %s", signal, rest).hasSize(1);
            }
        }
    }

    private static List<Path> locks(Path repo) throws Exception {
        Path dir = repo.resolve("locks");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }
}
