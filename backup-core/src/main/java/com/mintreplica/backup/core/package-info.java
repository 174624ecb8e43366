/**
 * The front door of mint-backup: {@link com.mintreplica.backup.core.Backup#pipeline()} assembles a backup,
 * {@link com.mintreplica.backup.core.Repository} opens or creates a repository on a Sink and lists, restores,
 * verifies, prunes and copies its snapshots. Every failure is a
 * {@link com.mintreplica.backup.core.BackupException} (unchecked) whose message names what is at fault.
 */
package com.mintreplica.backup.core;
