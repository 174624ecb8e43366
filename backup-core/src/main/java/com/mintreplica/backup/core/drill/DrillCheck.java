package com.mintreplica.backup.core.drill;

import java.util.Objects;

/**
 * One check of a drill, as a {@link Scratch} reports it: {@code row-counts} passed, {@code file-hashes} failed, ...
 *
 * @param name the check's name, one of {@link DrillSupport#checks()} (or {@code restore}, {@code smoke})
 * @param status how it ended
 * @param detail what was found, in words; never a secret
 */
public record DrillCheck(String name, Status status, String detail) {
    public DrillCheck {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detail, "detail");
    }

    /** How a check ended. */
    public enum Status {
        PASSED, FAILED,
        /** Not run: it does not apply, or an earlier step failed. */
        SKIPPED
    }

    public static DrillCheck passed(String name, String detail) {
        return new DrillCheck(name, Status.PASSED, detail);
    }

    public static DrillCheck failed(String name, String detail) {
        return new DrillCheck(name, Status.FAILED, detail);
    }

    public static DrillCheck skipped(String name, String detail) {
        return new DrillCheck(name, Status.SKIPPED, detail);
    }
}
