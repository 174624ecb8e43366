package com.mintreplica.backup.jobs.config;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which snapshots of a job to keep after each run, by restic's rules: the newest {@code keepLast}; the newest of each
 * of the last {@code keepHourly} hours, {@code keepDaily} days, ...; all within {@code keepWithin} of the newest
 * (such as {@code 30d}, {@code 2y6m}); all with one of {@code keepTags}. Zero means the rule is not used. The others
 * are forgotten (their data goes at the next prune).
 */
public record RetentionConfig(int keepLast, int keepHourly, int keepDaily, int keepWeekly, int keepMonthly,
                              int keepYearly, Optional<String> keepWithin, Set<String> keepTags) {
    public RetentionConfig {
        keepWithin = keepWithin == null ? Optional.empty() : keepWithin;
        keepTags = Set.copyOf(new TreeSet<>(keepTags));
    }

    /** Whether no rule is set (which keeps everything). */
    public boolean isEmpty() {
        return keepLast == 0 && keepHourly == 0 && keepDaily == 0 && keepWeekly == 0 && keepMonthly == 0
                && keepYearly == 0 && keepWithin.isEmpty() && keepTags.isEmpty();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link RetentionConfig}. */
    public static final class Builder {
        private int last;
        private int hourly;
        private int daily;
        private int weekly;
        private int monthly;
        private int yearly;
        private String within;
        private final Set<String> tags = new TreeSet<>();

        public Builder keepLast(int n) {
            last = n;
            return this;
        }

        public Builder keepHourly(int n) {
            hourly = n;
            return this;
        }

        public Builder keepDaily(int n) {
            daily = n;
            return this;
        }

        public Builder keepWeekly(int n) {
            weekly = n;
            return this;
        }

        public Builder keepMonthly(int n) {
            monthly = n;
            return this;
        }

        public Builder keepYearly(int n) {
            yearly = n;
            return this;
        }

        /** A period such as {@code 30d}, {@code 12h}, {@code 1y6m}. */
        public Builder keepWithin(String period) {
            within = period;
            return this;
        }

        public Builder keepTags(String... values) {
            tags.addAll(java.util.List.of(values));
            return this;
        }

        public RetentionConfig build() {
            return new RetentionConfig(last, hourly, daily, weekly, monthly, yearly, Optional.ofNullable(within), tags);
        }
    }
}
