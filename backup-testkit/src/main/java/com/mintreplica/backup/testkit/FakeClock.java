package com.mintreplica.backup.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A clock that stands still until a test moves it: for retention, schedules and leases in tests. Thread-safe.
 *
 * <pre>{@code
 * FakeClock clock = new FakeClock(Instant.parse("2026-11-24T01:00:00Z"));
 * clock.advance(Duration.ofHours(1));
 * }</pre>
 */
public final class FakeClock extends Clock {
    private final ZoneId zone;
    private volatile Instant now;

    public FakeClock(Instant start) {
        this(start, ZoneOffset.UTC);
    }

    public FakeClock(Instant start, ZoneId zone) {
        this.now = Objects.requireNonNull(start, "start");
        this.zone = Objects.requireNonNull(zone, "zone");
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId value) {
        FakeClock shared = this;
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return value;
            }

            @Override
            public Clock withZone(ZoneId other) {
                return shared.withZone(other);
            }

            @Override
            public Instant instant() {
                return shared.instant();
            }
        };
    }

    @Override
    public Instant instant() {
        return now;
    }

    /** Moves the clock forward (or back, with a negative duration). */
    public synchronized void advance(Duration duration) {
        now = now.plus(duration);
    }

    /** Sets the clock to {@code instant}. */
    public void set(Instant instant) {
        now = Objects.requireNonNull(instant, "instant");
    }
}
