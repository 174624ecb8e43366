package com.mintreplica.backup.core;

import java.time.Duration;
import java.util.List;

/**
 * A backup, restore, copy or prune made no progress (no bytes or entries moved) for its stall timeout and was
 * abandoned instead of waiting forever. The message says what each stage was waiting for (the reader for memory
 * budget, a worker in {@code Sink.put} of a pack, the restore for a blob of a pack, ...) and since when.
 *
 * <p>A stalled backup commits nothing: no manifest is written, the snapshot does not exist, and its lease is released.
 * Threads stuck in a call that never returns (a Sink that hangs) are interrupted and abandoned; they can no longer
 * write to the repository. Running the operation again is safe.
 */
public class StallException extends BackupException {
    private static final long serialVersionUID = 1L;

    private final Duration stallTimeout;
    private final List<String> waits;

    public StallException(String message, Duration stallTimeout, List<String> waits) {
        super(message);
        this.stallTimeout = stallTimeout;
        this.waits = List.copyOf(waits);
    }

    /** How long the operation was allowed to make no progress. */
    public Duration stallTimeout() {
        return stallTimeout;
    }

    /** What each stage was waiting for when the operation was abandoned, one line per stage. */
    public List<String> waits() {
        return waits;
    }
}
