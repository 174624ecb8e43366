package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** {@code --stall-timeout}: for the commands that move data (backup, restore, copy, prune). */
final class StallOption {
    private static final Pattern DURATION = Pattern.compile("(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    @Option(names = "--stall-timeout", paramLabel = "DURATION",
            description = "Fail, saying what each stage waits for, when nothing moves for this long (default 10m;"
                    + " 0: wait forever). E.g. 90s, 30m, 1h30m.")
    String value;

    Duration get() {
        return value == null ? Repository.DEFAULT_STALL_TIMEOUT : parse(value);
    }

    /** {@code 90s}, {@code 5m}, {@code 1h30m}, {@code 1d}, {@code 0}, or ISO-8601 {@code PT5M}. */
    static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("p")) {
                Duration d = Duration.parse(t.toUpperCase(Locale.ROOT));
                if (!d.isNegative()) {
                    return d;
                }
            } else if (t.equals("0")) {
                return Duration.ZERO;
            } else {
                Matcher m = DURATION.matcher(t);
                if (!t.isEmpty() && m.matches()) {
                    Duration d = Duration.ZERO;
                    long[] unit = {86_400, 3_600, 60, 1};
                    for (int i = 0; i < 4; i++) {
                        if (m.group(i + 1) != null) {
                            d = d.plusSeconds(Long.parseLong(m.group(i + 1)) * unit[i]);
                        }
                    }
                    return d;
                }
            }
        } catch (DateTimeParseException | ArithmeticException e) {
            // reported below
        }
        throw new InvalidInputException("--stall-timeout '" + text + "' is not a duration: write e.g. 90s, 30m, 1h30m"
                + " (or 0 to wait forever)");
    }
}
