package com.mintreplica.backup.core.event;

/**
 * Receives {@link BackupEvent}s. Called on the pipeline's thread: keep it quick. An exception thrown by a listener is
 * logged and otherwise ignored; it never fails the backup.
 */
@FunctionalInterface
public interface BackupListener {
    void onEvent(BackupEvent event);
}
