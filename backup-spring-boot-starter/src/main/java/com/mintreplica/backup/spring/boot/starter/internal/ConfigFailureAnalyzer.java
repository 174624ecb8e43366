package com.mintreplica.backup.spring.boot.starter.internal;

import com.mintreplica.backup.jobs.config.ConfigException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Prints an invalid {@code mint.backup.*} config as a list of problems, each at its property and file line. */
public final class ConfigFailureAnalyzer extends AbstractFailureAnalyzer<ConfigException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ConfigException cause) {
        return new FailureAnalysis("The mint-backup jobs config (" + SpringConfig.PREFIX + ".*) is not valid: "
                + cause.getMessage(), "Fix the properties named above (in the file and line given), or set "
                + SpringConfig.PREFIX + ".enabled=false. The keys are those of the YAML jobs config: see "
                + "backup-spring-boot-starter/README.md and docs/config-example.yaml.", cause);
    }
}
