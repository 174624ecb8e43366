/**
 * The scratch targets of restore drills (a directory, a PostgreSQL or MongoDB database made for the drill and removed
 * after it) and their checks. Not API: {@link com.mintreplica.backup.jobs.DrillRunner} is. The database scratches
 * are loaded only for jobs of their kind, so backup-postgres and backup-mongo stay optional.
 */
package com.mintreplica.backup.jobs.internal.drill;
