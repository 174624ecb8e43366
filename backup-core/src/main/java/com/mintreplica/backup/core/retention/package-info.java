/**
 * Retention: the {@link com.mintreplica.backup.core.retention.RetentionPolicy} SPI, restic's forget rules
 * ({@link com.mintreplica.backup.core.retention.Retention}) and the grouping of snapshots before a policy applies
 * ({@link com.mintreplica.backup.core.retention.GroupBy}). Conformance kit: {@code RetentionPolicyContract} in
 * backup-testkit.
 */
package com.mintreplica.backup.core.retention;
