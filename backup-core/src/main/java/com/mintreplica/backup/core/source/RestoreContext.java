package com.mintreplica.backup.core.source;

import com.mintreplica.backup.core.Snapshot;
import java.util.function.Predicate;

/**
 * What a {@link RestoreTarget} is told at the start of a restore.
 *
 * @param snapshot the snapshot being restored, with its facts
 * @param selection which entry paths are restored; a target that mirrors must not delete what lies outside it
 * @param partial whether only some entries are restored
 */
public record RestoreContext(Snapshot snapshot, Predicate<String> selection, boolean partial) {
}
