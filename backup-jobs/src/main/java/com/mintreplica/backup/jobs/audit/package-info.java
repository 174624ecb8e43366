/**
 * The audit log: one hash-chained JSON line per backup, restore, verify, forget, prune, copy, key change and drill,
 * appended to a file and optionally stored in the repository, and its verification.
 */
package com.mintreplica.backup.jobs.audit;
