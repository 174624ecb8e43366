package com.mintreplica.backup.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import com.google.api.gax.retrying.RetrySettings;
import com.mintreplica.backup.core.sink.SinkOptions;
import com.mintreplica.backup.core.sink.Sinks;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code gs://} repository URIs. */
class GcsSinkProviderTest {

    @Test
    void a_gs_uri_names_bucket_and_prefix_and_is_found_by_its_scheme() throws Exception {
        GcsSink.Builder b = GcsSinkProvider.configure(URI.create("gs://acme-backups/mint/prod?storageClass=NEARLINE&chunkSize=16MiB"));
        try (GcsSink sink = b.storage(InMemoryGcs.newStorage()).build()) {
            assertThat(sink.bucket()).isEqualTo("acme-backups");
            assertThat(sink.prefix()).isEqualTo("mint/prod/");
            assertThat(sink.describe()).isEqualTo("gs://acme-backups/mint/prod");
        }
        // found through META-INF/services; the client is built without a request (nothing listens on port 9)
        try (var sink = Sinks.open("gs://acme-backups/mint?host=http://127.0.0.1:9&project=test-project")) {
            assertThat(sink).isInstanceOf(GcsSink.class);
            assertThat(sink.describe()).isEqualTo("gs://acme-backups/mint");
        }
    }

    @Test
    void the_retry_budget_comes_from_the_uri_else_from_the_caller_else_is_fifteen_minutes() throws Exception {
        String base = "gs://acme-backups/mint?host=http://127.0.0.1:9&project=test-project";
        SinkOptions wal = SinkOptions.defaults().retryFor(Duration.ofMinutes(1));
        try (GcsSink byDefault = (GcsSink) Sinks.open(base);
                GcsSink asked = (GcsSink) Sinks.open(base, wal);
                GcsSink operator = (GcsSink) Sinks.open(base + "&retryFor=90s&maxAttempts=4", wal)) {
            RetrySettings d = byDefault.storage().getOptions().getRetrySettings();
            assertThat(d.getTotalTimeoutDuration()).isEqualTo(Duration.ofMinutes(15));
            assertThat(d.getMaxAttempts()).as("no count: the time alone").isZero();
            assertThat(asked.storage().getOptions().getRetrySettings().getTotalTimeoutDuration()).isEqualTo(Duration.ofMinutes(1));
            RetrySettings o = operator.storage().getOptions().getRetrySettings();
            assertThat(o.getTotalTimeoutDuration()).isEqualTo(Duration.ofSeconds(90));
            assertThat(o.getMaxAttempts()).isEqualTo(4);
        }
        assertThatThrownBy(() -> Sinks.open(base + "&retryFor=soon"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("retryFor=soon").hasMessageContaining("15m");
    }

    @Test
    void credentials_and_unknown_parameters_in_the_uri_are_refused() {
        assertThatThrownBy(() -> Sinks.open("gs://user:secret-token@bucket/p"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("Application Default Credentials")
                .hasMessageNotContaining("secret-token");
        assertThatThrownBy(() -> Sinks.open("gs://bucket/p?colour=blue"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("colour");
        assertThatThrownBy(() -> Sinks.open("gs://bucket/p?storageClass=FREEZER"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("COLDLINE");
    }
}
