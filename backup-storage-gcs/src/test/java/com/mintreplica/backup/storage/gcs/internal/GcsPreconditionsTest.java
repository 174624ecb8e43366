package com.mintreplica.backup.storage.gcs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import java.nio.file.FileAlreadyExistsException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The GCS Sink's own precondition, generation and protection logic, without a server. */
class GcsPreconditionsTest {
    private static final Instant NOW = Instant.parse("2026-11-24T01:00:00Z");

    private static BlobInfo.Builder blob() {
        return BlobInfo.newBuilder(BlobId.of("bucket", "repo/data/ab/pack", 7L));
    }

    @Test
    void a_create_if_absent_asks_for_generation_zero() {
        assertThat(Arrays.asList(GcsPreconditions.writeOptions(true, OptionalLong.empty())))
                .contains(Storage.BlobWriteOption.doesNotExist());
        assertThat(Arrays.asList(GcsPreconditions.targetOptions(true, OptionalLong.empty())))
                .contains(Storage.BlobTargetOption.doesNotExist());
    }

    @Test
    void a_replacing_write_names_the_generation_it_replaces_and_a_plain_write_names_none() {
        assertThat(Arrays.asList(GcsPreconditions.writeOptions(false, OptionalLong.of(42))))
                .contains(Storage.BlobWriteOption.generationMatch(42))
                .doesNotContain(Storage.BlobWriteOption.doesNotExist());
        assertThat(Arrays.asList(GcsPreconditions.targetOptions(false, OptionalLong.of(42))))
                .contains(Storage.BlobTargetOption.generationMatch(42));
        assertThat(Arrays.asList(GcsPreconditions.writeOptions(false, OptionalLong.empty())))
                .containsExactly(Storage.BlobWriteOption.disableGzipContent());
    }

    @Test
    void status_codes_are_read_as_what_they_mean_to_the_sink() {
        assertThat(GcsPreconditions.classify(new StorageException(412, "conditionNotMet"))).isEqualTo(GcsPreconditions.Outcome.PRECONDITION_FAILED);
        assertThat(GcsPreconditions.classify(new StorageException(404, "notFound"))).isEqualTo(GcsPreconditions.Outcome.NOT_FOUND);
        assertThat(GcsPreconditions.classify(new StorageException(403, "retentionPolicyNotMet"))).isEqualTo(GcsPreconditions.Outcome.FORBIDDEN);
        assertThat(GcsPreconditions.classify(new StorageException(503, "backendError"))).isEqualTo(GcsPreconditions.Outcome.OTHER);
        assertThat(GcsPreconditions.classify(new StorageException(new FileAlreadyExistsException("repo/locks/l"))))
                .isEqualTo(GcsPreconditions.Outcome.PRECONDITION_FAILED);
    }

    @Test
    void an_object_whose_retention_runs_past_now_is_locked_until_then() {
        OffsetDateTime until = OffsetDateTime.of(2027, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
        BlobInfo retained = blob().setRetention(BlobInfo.Retention.newBuilder().setMode(BlobInfo.Retention.Mode.LOCKED)
                .setRetainUntilTime(until).build()).build();

        Optional<ObjectLockedException> locked = GcsPreconditions.lockOf("data/ab/pack", retained, NOW, "gs://bucket/repo");

        assertThat(locked).hasValueSatisfying(e -> {
            assertThat(e.objectName()).isEqualTo("data/ab/pack");
            assertThat(e.retainUntil()).contains(until.toInstant());
            assertThat(e.getMessage()).contains("data/ab/pack").contains("2027-01-01");
        });
    }

    @Test
    void an_object_whose_retention_has_ended_is_not_locked() {
        BlobInfo expired = blob().setRetention(BlobInfo.Retention.newBuilder().setMode(BlobInfo.Retention.Mode.UNLOCKED)
                .setRetainUntilTime(OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC)).build()).build();
        assertThat(GcsPreconditions.lockOf("data/ab/pack", expired, NOW, "gs://bucket/repo")).isEmpty();
        assertThat(GcsPreconditions.lockOf("data/ab/pack", blob().build(), NOW, "gs://bucket/repo")).isEmpty();
    }

    @Test
    void an_object_under_a_temporary_or_event_based_hold_is_locked_without_an_end() {
        assertThat(GcsPreconditions.lockOf("data/ab/pack", blob().setTemporaryHold(true).build(), NOW, "gs://b"))
                .hasValueSatisfying(e -> {
                    assertThat(e.retainUntil()).isEmpty();
                    assertThat(e.getMessage()).contains("temporary hold");
                });
        assertThat(GcsPreconditions.lockOf("data/ab/pack", blob().setEventBasedHold(true).build(), NOW, "gs://b"))
                .hasValueSatisfying(e -> assertThat(e.getMessage()).contains("event-based hold"));
    }
}
