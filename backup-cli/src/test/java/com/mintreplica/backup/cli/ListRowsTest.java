package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** `list` builds its rows and times by hand (10,000 through printf and a DateTimeFormatter were slow): the same text. */
class ListRowsTest {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    @Test
    void times_are_what_the_formatter_gives() {
        Random random = new Random(12);
        long[] fixed = {0, -1, 1, 86_399, 86_400, 951_782_400 /* 2000-02-29 */, 253_402_300_799L /* 9999-12-31 */,
            253_402_300_800L, -30_610_224_000L /* year 1000 */, -30_610_224_001L, -62_135_596_800L, 4_102_444_800L};
        for (long s : fixed) {
            Instant t = Instant.ofEpochSecond(s, 999_999_999);
            assertThat(Format.time(t)).as("%s", t).isEqualTo(TIME.format(t));
        }
        for (int i = 0; i < 20_000; i++) {
            Instant t = Instant.ofEpochSecond(random.nextLong() % 300_000_000_000L, random.nextInt(1_000_000_000));
            assertThat(Format.time(t)).as("%s", t).isEqualTo(TIME.format(t));
        }
    }

    @Test
    void sizes_are_what_string_format_gave() {
        Random random = new Random(7);
        for (int i = 0; i < 50_000; i++) {
            long n = i < 5000 ? i * 97L : random.nextLong() >>> random.nextInt(64);
            assertThat(Format.bytes(n)).as("%d", n).isEqualTo(oldBytes(n));
        }
        for (long n : new long[] {1023, 1024, 1024 * 1024 - 1, 102_349, 102_350, 1_048_524, Long.MAX_VALUE}) {
            assertThat(Format.bytes(n)).as("%d", n).isEqualTo(oldBytes(n));
        }
    }

    /** Format.bytes as it was, through String.format. */
    private static String oldBytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
    }

    @Test
    void rows_are_what_printf_gave() {
        String format = "%-24s  %-19s  %-16s  %-16s  %8s  %10s  %s%n";
        String[][] rows = {
            {"ID", "TIME (UTC)", "HOST", "TAGS", "ENTRIES", "SIZE", "SOURCE"},
            {"20260101-010000-3fa2c1d0", "2026-01-01 01:00:00", "h", "", "0", "0 B", "fs:/a"},
            {"x", "", "a-host-name-of-1~", "daily,weekly,mo~", "123456789", "1023.9 GiB", "postgres:shop db"},
            {"a-longer-id-than-twenty-four", "t", "héllo wörld", "ß", "", "", ""},
        };
        for (String[] r : rows) {
            StringBuilder built = new StringBuilder();
            ListCommand.row(built, r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
            assertThat(built.toString()).isEqualTo(String.format(format, (Object[]) r));
        }
    }
}
