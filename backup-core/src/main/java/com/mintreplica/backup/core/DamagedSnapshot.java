package com.mintreplica.backup.core;

import java.util.Objects;

/**
 * A snapshot whose manifest is stored but cannot be read: it does not match its checksum, does not decode or does not
 * parse. Nothing of it can be restored; the other snapshots are not affected. {@code mint-backup verify} names it,
 * and {@code mint-backup repair snapshots --forget} removes it.
 *
 * @param id the snapshot id, from the manifest's object name
 * @param object the manifest's object name ({@code snapshots/<id>})
 * @param problem what is wrong with it
 */
public record DamagedSnapshot(String id, String object, String problem) {
    public DamagedSnapshot {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(problem, "problem");
    }
}
