package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local-directory Sink passes the Sink kit, and publishes objects only whole. */
class LocalDirectorySinkTest extends SinkContract {
    @TempDir
    Path dir;

    @Override
    protected Sink newSink() {
        return new LocalDirectorySink(dir.resolve("repo"));
    }

    @Test
    void objects_are_files_under_the_root_and_no_temporary_file_is_left() throws Exception {
        byte[] data = randomBytes(1000, 9);
        sink.put("data/ab/abc", new ByteArrayInputStream(data), data.length, ObjectKind.DATA);
        assertThat(Files.readAllBytes(dir.resolve("repo/data/ab/abc"))).isEqualTo(data);
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .containsExactly("abc");
        }
    }

    @Test
    void a_temporary_file_left_by_a_crash_is_never_listed_and_can_be_cleaned() throws Exception {
        Files.createDirectories(dir.resolve("repo/data/ab"));
        Files.write(dir.resolve("repo/data/ab/.tmp-123"), new byte[] {1, 2});
        assertThat(names("data/")).isEmpty();
        ((LocalDirectorySink) sink).cleanTemporaryFiles();
        assertThat(dir.resolve("repo/data/ab/.tmp-123")).doesNotExist();
    }
}
