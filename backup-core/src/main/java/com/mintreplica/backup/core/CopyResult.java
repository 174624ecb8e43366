package com.mintreplica.backup.core;

import java.time.Duration;
import java.util.List;

/**
 * What {@link Repository#copyTo} did.
 *
 * @param copied the ids of the snapshots copied by this call, oldest first
 * @param skipped the ids of the snapshots the target already held (copied before, or by an earlier, interrupted call)
 * @param blobsCopied how many blobs (chunks) were sent to the target; blobs it already had are not counted
 * @param objectsCopied how many whole-entry objects (single-object layout) were sent to the target
 * @param bytesCopied the plaintext size of what was sent
 * @param bytesStored the bytes written to the target's Sink (after its transformers, with packs' headers, indexes and
 *     manifests)
 * @param duration how long the copy took
 */
public record CopyResult(List<String> copied, List<String> skipped, long blobsCopied, long objectsCopied, long bytesCopied,
                         long bytesStored, Duration duration) {
    public CopyResult {
        copied = List.copyOf(copied);
        skipped = List.copyOf(skipped);
    }

    /** Whether the call transferred no data at all (every snapshot was already in the target). */
    public boolean transferredNothing() {
        return blobsCopied == 0 && objectsCopied == 0 && copied.isEmpty();
    }
}
