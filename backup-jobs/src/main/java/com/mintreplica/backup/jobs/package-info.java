/**
 * Jobs and schedules: {@link com.mintreplica.backup.jobs.JobScheduler} runs a config's jobs on their
 * {@link com.mintreplica.backup.jobs.CronSchedule}s (inside an app or as {@code mint-backup daemon}), each scheduled run
 * once across replicas; {@link com.mintreplica.backup.jobs.JobRunner} does one run (backup, retention, copies, audit);
 * {@link com.mintreplica.backup.jobs.JobStatus} and {@link com.mintreplica.backup.jobs.JobMetrics} tell how jobs stand;
 * {@link com.mintreplica.backup.jobs.DrillRunner} runs restore drills, {@link com.mintreplica.backup.jobs.Recovery}
 * restores from a repository alone, and {@link com.mintreplica.backup.jobs.Doctor} checks that the jobs can run here.
 * The config model is in {@code ...jobs.config}, the audit log in {@code ...jobs.audit}; {@code ...jobs.internal} is
 * not API.
 */
package com.mintreplica.backup.jobs;
