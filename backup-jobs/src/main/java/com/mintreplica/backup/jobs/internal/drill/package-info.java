/**
 * How the jobs layer shows a source kind's drill scratch ({@link com.mintreplica.backup.core.drill.Scratch}, made by the
 * kind's {@link com.mintreplica.backup.core.drill.DrillSupport}) to smoke checks and in drill reports. Not API:
 * {@link com.mintreplica.backup.jobs.DrillRunner} is. The scratches themselves live in the kinds' modules.
 */
package com.mintreplica.backup.jobs.internal.drill;
