/**
 * The database checks of the doctor, loaded only for jobs of their kind so backup-postgres stays optional. Not API:
 * {@link com.mintreplica.backup.jobs.Doctor} is.
 */
package com.mintreplica.backup.jobs.internal.doctor;
