/** Implementation details of backup-jobs (YAML reading, run claims on the repository, redaction): not API. */
package com.mintreplica.backup.jobs.internal;
