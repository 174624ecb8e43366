package com.mintreplica.backup.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.ObjectKind;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Behaviour of the S3 Sink beyond the kit: create-if-absent of content larger than one part (multipart). */
class S3SinkLargeCreateTest {
    @Test
    void a_create_if_absent_larger_than_a_part_is_atomic_too() throws Exception {
        byte[] first = new byte[S3Sink.MIN_PART_SIZE + 1000];
        byte[] second = new byte[S3Sink.MIN_PART_SIZE + 2000];
        new Random(1).nextBytes(first);
        new Random(2).nextBytes(second);
        try (S3Sink sink = S3TestSinks.sinkOnNewBucket().build()) {
            assertThat(sink.putIfAbsent("files/s1/db.dump", new ByteArrayInputStream(first), -1, ObjectKind.DATA)).isTrue();
            assertThat(sink.putIfAbsent("files/s1/db.dump", new ByteArrayInputStream(second), -1, ObjectKind.DATA)).isFalse();
            try (InputStream in = sink.get("files/s1/db.dump")) {
                assertThat(in.readAllBytes()).isEqualTo(first);
            }
        }
    }
}
