/** Events of a backup ({@link com.mintreplica.backup.core.event.BackupEvent}) and their listeners: progress lines,
 * logs, the audit log, metrics. */
package com.mintreplica.backup.core.event;
