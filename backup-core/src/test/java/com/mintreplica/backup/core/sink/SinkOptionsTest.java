package com.mintreplica.backup.core.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What a caller asks of a Sink it opens, and the durations repository URIs carry (retryFor=15m). */
class SinkOptionsTest {

    @Test
    void a_retry_budget_is_asked_for_or_left_to_the_sink() {
        assertThat(SinkOptions.defaults().retryFor()).isEmpty();
        assertThat(SinkOptions.defaults().retryFor(Duration.ofMinutes(1)).retryFor()).contains(Duration.ofMinutes(1));
        assertThat(SinkOptions.defaults().retryFor(Duration.ZERO).retryFor()).contains(Duration.ZERO);
        assertThatThrownBy(() -> SinkOptions.defaults().retryFor(Duration.ofSeconds(-1)))
                .isInstanceOf(InvalidInputException.class);
    }

    @Test
    void uri_durations_take_a_unit_or_iso_8601_and_a_wrong_one_says_how_to_write_it() {
        String shown = "s3://bucket/p";
        assertThat(Sinks.durationParameter("retryFor", "500ms", shown)).isEqualTo(Duration.ofMillis(500));
        assertThat(Sinks.durationParameter("retryFor", "90s", shown)).isEqualTo(Duration.ofSeconds(90));
        assertThat(Sinks.durationParameter("retryFor", " 15M ", shown)).isEqualTo(Duration.ofMinutes(15));
        assertThat(Sinks.durationParameter("retryFor", "2h", shown)).isEqualTo(Duration.ofHours(2));
        assertThat(Sinks.durationParameter("retryFor", "0", shown)).isEqualTo(Duration.ZERO);
        assertThat(Sinks.durationParameter("retryFor", "PT1M30S", shown)).isEqualTo(Duration.ofSeconds(90));
        for (String wrong : new String[] {"90", "-5m", "soon", "", "PT-1M", "1d"}) {
            assertThatThrownBy(() -> Sinks.durationParameter("retryFor", wrong, shown)).as(wrong)
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("retryFor=" + wrong + " in 's3://bucket/p'").hasMessageContaining("15m");
        }
    }

    @Test
    void durations_are_shown_as_a_repository_uri_writes_them_and_read_back_the_same() {
        assertThat(Sinks.durationText(Duration.ofMinutes(15))).isEqualTo("15m");
        assertThat(Sinks.durationText(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Sinks.durationText(Duration.ofMillis(300))).isEqualTo("300ms");
        assertThat(Sinks.durationText(Duration.ZERO)).isEqualTo("0s");
        for (Duration d : new Duration[] {Duration.ofMinutes(15), Duration.ofSeconds(61), Duration.ofMillis(1500)}) {
            assertThat(Sinks.durationParameter("retryFor", Sinks.durationText(d), "gs://b")).isEqualTo(d);
        }
    }
}
