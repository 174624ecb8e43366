package com.mintreplica.backup.mongo;

import com.mintreplica.backup.core.RepositorySettings;

/** Daily dedup on 10k documents (about 6 MB) with chunks a tenth of the default size, to keep the same proportions. */
class DailyBackupDedupTest extends DailyBackupDedupScenario {
    DailyBackupDedupTest() {
        super(10_000, RepositorySettings.defaults().withChunkSizes(64 * 1024, 128 * 1024, 1024 * 1024));
    }
}
