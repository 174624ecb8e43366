package com.mintreplica.backup.spring.boot.starter;

import com.mintreplica.backup.jobs.JobStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * {@code mintBackup} in {@code /actuator/health}: UP when every job has a snapshot as new as its schedule asks (the
 * newest slot whose grace, {@code alertAfter}, has passed made one) and its last run and every scheduled drill's last
 * run passed; else DOWN, with each job's details and a {@code problems} list that names the job and says what is
 * wrong. DOWN answers HTTP 503: keep the indicator out of liveness and readiness groups (Spring Boot's probe groups
 * leave it out by default), so a stale backup pages someone rather than restarting the app.
 */
public final class MintBackupHealthIndicator extends AbstractHealthIndicator {
    private final MintBackupStatus status;

    public MintBackupHealthIndicator(MintBackupStatus status) {
        super("mint-backup health check failed");
        this.status = Objects.requireNonNull(status, "status");
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        List<String> problems = new ArrayList<>();
        for (JobStatus s : status.check()) {
            builder.withDetail(s.job(), status.describe(s));
            for (String w : s.warnings()) {
                problems.add(s.job() + ": " + w);
            }
        }
        if (problems.isEmpty()) {
            builder.up();
        } else {
            builder.down().withDetail("problems", problems);
        }
    }
}
