package com.mintreplica.backup.core;

import java.time.Duration;

/**
 * What a restore did.
 *
 * @param snapshot the snapshot restored
 * @param entries how many entries were restored
 * @param bytes how many content bytes were restored
 * @param duration how long it took
 * @param unchangedFiles of the regular files restored, those the target had already with the snapshot's content
 *                       (checked blob by blob against their ids), which were kept where they were and given their
 *                       metadata; their bytes count in {@code bytes}
 */
public record RestoreResult(Snapshot snapshot, long entries, long bytes, Duration duration, long unchangedFiles) {

    /** A result without files kept as they were. */
    public RestoreResult(Snapshot snapshot, long entries, long bytes, Duration duration) {
        this(snapshot, entries, bytes, duration, 0);
    }
}
