package com.mintreplica.backup.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import com.mintreplica.backup.testkit.s3.S3TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 200 MiB backup and restore through S3 by a client JVM with a 256 MiB heap: the Sink streams multipart uploads and
 * ranged reads with bounded memory. The S3 server (s3proxy, objects on disk) runs in this test's JVM; the client is
 * {@link LargeBackupMain} in a forked JVM started with {@code -Xmx256m}, so its heap holds only the client's data.
 */
class S3LargeBackupIT {
    private static final long SIZE = 200L * 1024 * 1024;

    @Test
    void a_200_mib_backup_and_restore_through_s3_fit_in_a_256_mib_heap(@TempDir Path store) throws Exception {
        try (S3TestServer server = S3TestServer.onDisk(store)) {
            URI endpoint = server.endpoint();
            server.createBucket("large");
            Path log = store.resolve("client.log");
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder builder = new ProcessBuilder(List.of(javaBin, "-Xmx256m", "-XX:+ExitOnOutOfMemoryError",
                    "-cp", System.getProperty("java.class.path"), LargeBackupMain.class.getName(),
                    endpoint.toString(), String.valueOf(SIZE), "large"))
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(server.credentialsEnvironment());
            Process client = builder.start();
            boolean done = client.waitFor(8, TimeUnit.MINUTES);
            if (!done) {
                client.destroyForcibly();
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(done).as("the client finished in time; its output:%n%s", output).isTrue();
            assertThat(client.exitValue()).as("the client's exit code; its output:%n%s", output).isZero();
            assertThat(output).contains("same true");
            java.util.regex.Matcher heap = java.util.regex.Pattern.compile("heap max (\\d+)").matcher(output);
            assertThat(heap.find()).as(output).isTrue();
            assertThat(Long.parseLong(heap.group(1))).as("the client's heap").isLessThanOrEqualTo(256L * 1024 * 1024);
            try (var objects = Files.walk(store.resolve("large"))) {
                long stored = objects.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
                assertThat(stored).as("bytes the server holds").isGreaterThanOrEqualTo(SIZE);
            }
        }
    }

}
