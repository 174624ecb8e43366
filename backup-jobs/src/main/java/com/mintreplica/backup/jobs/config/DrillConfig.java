package com.mintreplica.backup.jobs.config;

import com.mintreplica.backup.jobs.CronSchedule;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A restore drill: now and then, restore a job's latest snapshot somewhere harmless and check it. Modelled and
 * validated here; run by the drill runner (issue 9).
 *
 * @param name the drill's name
 * @param job the job whose snapshots it restores
 * @param schedule when it runs; empty: only by hand
 * @param target where to restore (a directory, or a database URI such as {@code postgresql://drill-host/postgres});
 *     empty: verify only, restoring nothing
 * @param options the restore target's options (for PostgreSQL {@code target-database}, {@code replace}, ...)
 * @param environment variables the target reads, as for a source
 * @param password the target's password, by reference
 * @param checks what to check after the restore, by name (such as {@code row-counts}, {@code verify})
 */
public record DrillConfig(String name, String job, Optional<CronSchedule> schedule, Optional<String> target,
                          Map<String, String> options, Map<String, SecretRef> environment, Optional<SecretRef> password,
                          List<String> checks) {
    public DrillConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(password, "password");
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        environment = Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        checks = List.copyOf(checks);
    }
}
