package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectKind;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole object read with the size a listing gave (verify's pack reads): into one array of that size, and whatever
 * the store returns when its object is shorter or longer than listed, for the caller's checks to name.
 */
class StoreReadObjectTest {
    @TempDir
    Path dir;

    @Test
    void an_object_read_with_its_listed_size_is_read_whole_and_a_wrong_size_changes_nothing_read() throws Exception {
        byte[] content = new byte[300_000];
        new Random(7).nextBytes(content);
        LocalDirectorySink sink = new LocalDirectorySink(dir);
        try (Repository repo = Repository.init(sink)) {
            sink.put("data/00/object", new ByteArrayInputStream(content), content.length, ObjectKind.DATA);
            assertThat(repo.store().readObject("data/00/object", content.length)).isEqualTo(content);
            assertThat(repo.store().readObject("data/00/object", 1000)).as("longer than listed").isEqualTo(content);
            assertThat(repo.store().readObject("data/00/object", 1 << 20)).as("shorter than listed").isEqualTo(content);
            assertThat(repo.store().readObject("data/00/object", -1)).as("size unknown").isEqualTo(content);
        }
    }
}
