package com.mintreplica.backup.postgres.physical;

import com.mintreplica.backup.core.InvalidInputException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where WAL replay stops: the end of the archive ({@link #latest()}), a time, an LSN, a restore point made with
 * {@code pg_create_restore_point}, or a transaction id. Each becomes the {@code recovery_target_*} settings of the
 * restored cluster.
 *
 * <p>Defaults, and why: {@code recovery_target_inclusive = true} (PostgreSQL's own: replay stops just after the
 * target, so a restore "to xid 1234" holds transaction 1234, one "to 12:00:00" holds commits of exactly that time);
 * {@code recovery_target_action = pause} (PostgreSQL's own: the restored server is open read-only at the target, so it
 * can be inspected and, if the point was wrong, restored again further on, which is impossible once it has been
 * promoted onto a new timeline; {@code pg_wal_replay_resume()} or {@link #action(Action)} promote).
 */
public final class RecoveryTarget {
    /** What the server does once replay reached the target. */
    public enum Action {
        PAUSE, PROMOTE, SHUTDOWN;

        String setting() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Parses {@code pause}, {@code promote} or {@code shutdown}. */
        public static Action of(String text) {
            for (Action a : values()) {
                if (a.setting().equalsIgnoreCase(text.strip())) {
                    return a;
                }
            }
            throw new InvalidInputException("recovery target action '" + text + "': use pause, promote or shutdown");
        }
    }

    private enum Type { LATEST, TIME, LSN, NAME, XID }

    private final Type type;
    private final String value;
    private final boolean inclusive;
    private final Action action;
    private final Optional<String> timeline;

    private RecoveryTarget(Type type, String value, boolean inclusive, Action action, Optional<String> timeline) {
        this.type = type;
        this.value = value;
        this.inclusive = inclusive;
        this.action = action;
        this.timeline = timeline;
    }

    /** Replays every WAL segment the archive has: the end of recovery promotes the server. */
    public static RecoveryTarget latest() {
        return new RecoveryTarget(Type.LATEST, "", true, Action.PROMOTE, Optional.empty());
    }

    /** Stops at the first commit after {@code time}. */
    public static RecoveryTarget time(Instant time) {
        return new RecoveryTarget(Type.TIME, time.toString(), true, Action.PAUSE, Optional.empty());
    }

    /** Stops at the WAL position {@code lsn}. */
    public static RecoveryTarget lsn(Lsn lsn) {
        return new RecoveryTarget(Type.LSN, lsn.toString(), true, Action.PAUSE, Optional.empty());
    }

    /** Stops at the restore point {@code name} ({@code pg_create_restore_point}). */
    public static RecoveryTarget name(String name) {
        if (name == null || name.isBlank()) {
            throw new InvalidInputException("the restore point's name is empty");
        }
        return new RecoveryTarget(Type.NAME, name, true, Action.PAUSE, Optional.empty());
    }

    /** Stops at the commit of transaction {@code xid}. */
    public static RecoveryTarget xid(String xid) {
        if (xid == null || !xid.strip().matches("[0-9]{1,20}")) {
            throw new InvalidInputException("'" + xid + "' is not a transaction id: give a number such as 1234"
                    + " (txid_current() or pg_current_xact_id())");
        }
        return new RecoveryTarget(Type.XID, xid.strip(), true, Action.PAUSE, Optional.empty());
    }

    /** This target, stopping just before it instead of just after. */
    public RecoveryTarget inclusive(boolean value) {
        return new RecoveryTarget(type, this.value, value, action, timeline);
    }

    /** This target with another action at the end of recovery. */
    public RecoveryTarget action(Action value) {
        return new RecoveryTarget(type, this.value, inclusive, value, timeline);
    }

    /**
     * This target on a given timeline ({@code latest}, {@code current} or a number) instead of PostgreSQL's default,
     * {@code latest}: the newest timeline the archive holds, so a restore follows a promoted copy's history.
     */
    public RecoveryTarget timeline(String value) {
        String v = value.strip();
        if (!v.matches("latest|current|[0-9]+")) {
            throw new InvalidInputException("timeline '" + value + "': use latest, current or a number");
        }
        return new RecoveryTarget(type, this.value, inclusive, action, Optional.of(v));
    }

    /** The time when this is a time target. */
    public Optional<Instant> time() {
        return type == Type.TIME ? Optional.of(Instant.parse(value)) : Optional.empty();
    }

    /** The LSN when this is an LSN target. */
    public Optional<Lsn> lsn() {
        return type == Type.LSN ? Optional.of(Lsn.parse(value)) : Optional.empty();
    }

    /** Whether this replays to the end of the archive. */
    public boolean isLatest() {
        return type == Type.LATEST;
    }

    /** What to stop at. */
    public Action action() {
        return action;
    }

    /** The {@code postgresql.auto.conf} settings this target becomes. */
    public Map<String, String> settings() {
        Map<String, String> out = new LinkedHashMap<>();
        switch (type) {
            case LATEST -> { }
            case TIME -> out.put("recovery_target_time", value.replace('T', ' ').replace("Z", "+00"));
            case LSN -> out.put("recovery_target_lsn", value);
            case NAME -> out.put("recovery_target_name", value);
            case XID -> out.put("recovery_target_xid", value);
        }
        if (type != Type.LATEST) {
            out.put("recovery_target_inclusive", Boolean.toString(inclusive));
            out.put("recovery_target_action", action.setting());
        }
        timeline.ifPresent(t -> out.put("recovery_target_timeline", t));
        return out;
    }

    @Override
    public String toString() {
        return type == Type.LATEST ? "latest" : type.name().toLowerCase(java.util.Locale.ROOT) + " " + value;
    }
}
