package com.mintreplica.backup.core;

import java.util.Objects;

/**
 * A snapshot whose manifest is authentic but that the repository's keys do not trust, with why: for example, written
 * by a writer (write-only key) after that writer was revoked. See {@link Repository#untrustedSnapshots()}.
 *
 * @param snapshot its summary, as its manifest says (the claims of whoever wrote it)
 * @param reason why it is not trusted
 */
public record UntrustedSnapshot(Snapshot snapshot, String reason) {
    public UntrustedSnapshot {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(reason, "reason");
    }
}
