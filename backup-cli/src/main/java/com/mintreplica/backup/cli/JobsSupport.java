package com.mintreplica.backup.cli;

import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.JobScheduler;
import com.mintreplica.backup.jobs.config.JobsConfig;
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
        return com.mintreplica.backup.core.Hosts.local();
    }

    static String user() {
        return Optional.ofNullable(System.getProperty("user.name")).orElse("");
    }

    /** The jobs' runner, with the reader's local cache every other command keeps (tree packs, summaries, index). */
    static JobRunner runner(MintBackup root, JobsConfig config) {
        JobRunner.Builder runner = JobRunner.builder(config).environment(root.env).host(host()).user(user());
        RepositoryOptions.envCacheDirectory(root).ifPresent(runner::cacheDirectory);
        return runner.build();
    }

    static JobScheduler.Builder scheduler(MintBackup root, JobsConfig config) {
        JobScheduler.Builder scheduler = JobScheduler.builder(config).environment(root.env).host(host()).user(user());
        RepositoryOptions.envCacheDirectory(root).ifPresent(scheduler::cacheDirectory);
        return scheduler;
    }
}
