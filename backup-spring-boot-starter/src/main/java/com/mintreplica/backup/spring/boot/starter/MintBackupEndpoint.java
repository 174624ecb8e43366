package com.mintreplica.backup.spring.boot.starter;

import com.mintreplica.backup.jobs.JobStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * {@code /actuator/mintbackup}: every job and scheduled drill with its schedule, whether it runs now, its next run,
 * its last run (any replica's, from the repository's run records) and its latest snapshot;
 * {@code /actuator/mintbackup/{job}} for one. Read-only. Expose it with
 * {@code management.endpoints.web.exposure.include=health,metrics,mintbackup}.
 */
@Endpoint(id = "mintbackup")
public final class MintBackupEndpoint {
    private final MintBackupStatus status;

    public MintBackupEndpoint(MintBackupStatus status) {
        this.status = Objects.requireNonNull(status, "status");
    }

    @ReadOperation
    public Map<String, Object> jobs() {
        Map<String, Object> jobs = new LinkedHashMap<>();
        for (JobStatus s : status.check()) {
            jobs.put(s.job(), status.describe(s));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("jobs", jobs);
        return out;
    }

    /** One job or scheduled drill ({@code _drill-<name>}); {@code null} (404) when there is none of that name. */
    @ReadOperation
    public Map<String, Object> job(@Selector String name) {
        for (JobStatus s : status.check()) {
            if (s.job().equals(name)) {
                return status.describe(s);
            }
        }
        return null;
    }
}
