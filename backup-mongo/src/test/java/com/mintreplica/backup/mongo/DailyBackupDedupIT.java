package com.mintreplica.backup.mongo;

import com.mintreplica.backup.core.RepositorySettings;

/** The acceptance: 100k ledger documents, default chunking, second daily backup under 10% of the first. */
class DailyBackupDedupIT extends DailyBackupDedupScenario {
    DailyBackupDedupIT() {
        super(100_000, RepositorySettings.defaults());
    }
}
