package com.mintreplica.backup.core;

import java.time.Duration;

/**
 * What a restore did.
 *
 * @param snapshot the snapshot restored
 * @param entries how many entries were restored
 * @param bytes how many content bytes were restored
 * @param duration how long it took
 */
public record RestoreResult(Snapshot snapshot, long entries, long bytes, Duration duration) {
}
