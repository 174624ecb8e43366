package com.mintreplica.backup.cli;

import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.JobScheduler;
import com.mintreplica.backup.jobs.config.JobsConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Optional;

/** What the jobs commands share: the config, and this machine's host and user, read here at the edge. */
final class JobsSupport {
    private JobsSupport() {
    }

    static JobsConfig load(Path file) {
        return JobsConfig.load(file);
    }

    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    static String user() {
        return Optional.ofNullable(System.getProperty("user.name")).orElse("");
    }

    static JobRunner runner(MintBackup root, JobsConfig config) {
        return JobRunner.builder(config).environment(root.env).host(host()).user(user()).build();
    }

    static JobScheduler.Builder scheduler(MintBackup root, JobsConfig config) {
        return JobScheduler.builder(config).environment(root.env).host(host()).user(user());
    }
}
