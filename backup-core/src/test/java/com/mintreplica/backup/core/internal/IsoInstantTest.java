package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Tree blobs are content-addressed, so the times in them must be spelled exactly as {@link Instant#toString()} spells
 * them (another spelling of the same time would make every unchanged directory a new blob), and read back exactly as
 * {@link Instant#parse} reads them: checked against the JDK on seeded random instants over the whole range of years,
 * every fraction shape, and the edges.
 */
class IsoInstantTest {

    static final long MIN = Instant.parse("-999999999-01-01T00:00:00Z").getEpochSecond();
    static final long MAX = Instant.parse("+999999999-12-31T23:59:59Z").getEpochSecond();

    static int nano(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> r.nextInt(1000) * 1_000_000;
            case 2 -> r.nextInt(1_000_000) * 1000;
            default -> r.nextInt(1_000_000_000);
        };
    }

    @Test
    void formats_every_instant_as_instant_to_string_and_parses_it_back() {
        Random r = new Random(20261205);
        for (int i = 0; i < 300_000; i++) {
            long seconds = switch (i % 4) {
                case 0 -> r.nextLong() % 4_000_000_000L;                       // around 1970 to 2100
                case 1 -> -62167219200L + Math.floorMod(r.nextLong(), 315537897600L); // years 0000 to 9999
                case 2 -> -62167219200L - 1000 + r.nextInt(2000);                // the edge at year 0
                default -> MIN + Math.floorMod(r.nextLong(), MAX - MIN);           // anything Instant holds
            };
            Instant instant = Instant.ofEpochSecond(seconds, nano(r));
            String expected = instant.toString();
            assertThat(IsoInstant.format(instant)).as("%s", expected).isEqualTo(expected);
            assertThat(IsoInstant.parse(expected)).as("%s", expected).isEqualTo(instant);
        }
    }

    @Test
    void the_edges_of_the_fast_paths() {
        for (String s : List.of("0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "+10000-01-01T00:00:00Z",
                "-0001-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z", "2000-02-29T12:00:00Z",
                "2026-12-05T09:30:00.000001Z", "2026-12-05T09:30:00.100Z")) {
            Instant jdk = Instant.parse(s);
            assertThat(IsoInstant.parse(s)).as(s).isEqualTo(jdk);
            assertThat(IsoInstant.format(jdk)).as(s).isEqualTo(jdk.toString());
        }
    }

    /** Fractions of any length, and what only the JDK reads (a leap second, offsets), give the JDK's instant. */
    @Test
    void parses_what_instant_parse_parses() {
        Random r = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            StringBuilder s = new StringBuilder(String.format("%04d-%02d-%02dT%02d:%02d:%02d", r.nextInt(10000),
                    1 + r.nextInt(12), 1 + r.nextInt(28), r.nextInt(24), r.nextInt(60), r.nextInt(60)));
            int digits = r.nextInt(10);
            if (digits > 0) {
                s.append('.');
                for (int d = 0; d < digits; d++) {
                    s.append((char) ('0' + r.nextInt(10)));
                }
            }
            s.append('Z');
            assertThat(IsoInstant.parse(s)).as("%s", s).isEqualTo(Instant.parse(s));
        }
        for (String s : List.of("2016-12-31T23:59:60Z", "2026-12-05T10:30:00+01:00", "+12026-12-05T10:30:00Z",
                "2026-12-05T24:00:00Z", "2026-12-05T09:30:00.Z", "2026-12-05t09:30:00z")) {
            assertThat(IsoInstant.parse(s)).as(s).isEqualTo(Instant.parse(s));
        }
    }

    @Test
    void rejects_what_instant_parse_rejects() {
        for (String s : List.of("2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-05T24:00:01Z",
                "2026-12-05T09:3a:00Z", "2026-12-05 09:30:00Z", "2026-12-05T09:30:00.1234567890Z",
                "2026-12-05T09:30:00")) {
            assertThatThrownBy(() -> Instant.parse(s)).as(s).isInstanceOf(DateTimeParseException.class);
            assertThatThrownBy(() -> IsoInstant.parse(s)).as(s).isInstanceOf(DateTimeParseException.class);
        }
    }
}
