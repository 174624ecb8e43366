package com.mintreplica.backup.jobs.internal.drill;

import com.mintreplica.backup.core.drill.DrillCheck;
import com.mintreplica.backup.core.drill.Scratch;
import com.mintreplica.backup.jobs.DrillReport;
import com.mintreplica.backup.jobs.DrillScratch;
import com.mintreplica.backup.jobs.internal.Redactor;
import java.nio.file.Path;
import java.util.Optional;

/** A source kind's {@link Scratch} as the jobs layer shows it: to smoke checks, and its checks in drill reports. */
public final class DrillScratches {
    private DrillScratches() {
    }

    /** What an application's smoke check sees of {@code scratch}. */
    public static DrillScratch view(Scratch scratch) {
        return new DrillScratch() {
            @Override
            public String kind() {
                return scratch.kind();
            }

            @Override
            public String describe() {
                return scratch.describe();
            }

            @Override
            public Optional<Path> directory() {
                return scratch.directory();
            }

            @Override
            public Optional<String> database() {
                return scratch.database();
            }

            @Override
            public java.sql.Connection connect() {
                return scratch.connect();
            }
        };
    }

    /** A kind's check as a drill report's, its detail made safe. */
    public static DrillReport.Check check(DrillCheck check, Redactor redactor) {
        DrillReport.Status status = switch (check.status()) {
            case PASSED -> DrillReport.Status.PASSED;
            case FAILED -> DrillReport.Status.FAILED;
            case SKIPPED -> DrillReport.Status.SKIPPED;
        };
        return new DrillReport.Check(check.name(), status, redactor.redact(check.detail()));
    }
}
