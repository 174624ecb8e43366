package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkOptions;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.postgres.wal.WalArchive;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where a WAL command's archive is: a jobs config and a job ({@code --config F --job J}: the job's repository and
 * keys, the job's {@code options.cluster} as the cluster name, else the job's name), or a repository and a cluster name ({@code --repo R --cluster C}, keys as
 * for every command).
 */
final class WalOptions {
    /**
     * How long wal-push and wal-fetch let a remote store retry one failing request: a minute (pgBackRest's
     * archive-timeout), not a backup's 15 minutes. PostgreSQL runs the command again after a failure (the archiver
     * every minute; a standby's recovery after wal_retrieve_retry_interval), and a command that hangs holds back
     * every later segment. A {@code retryFor} in the repository URI wins.
     */
    static Duration commandRetryFor = Duration.ofMinutes(1);

    /** The Sink options of wal-push and wal-fetch: {@link #commandRetryFor}. */
    static SinkOptions commandSink() {
        return SinkOptions.defaults().retryFor(commandRetryFor);
    }

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--config", paramLabel = "F", description = "A jobs config (YAML): the archive is the job's (--job).")
    Path config;

    @Option(names = "--job", paramLabel = "J", description = "The job whose repository and keys to use; its options.cluster (else its name) names the cluster.")
    String job;

    @Option(names = "--cluster", paramLabel = "C", description = "The cluster's name in the archive (with --repo; with"
            + " --config, the job's options.cluster, else its name, unless given).")
    String cluster;

    @Option(names = "--system-id", paramLabel = "ID", description = "The cluster's system identifier, when the archive"
            + " holds several under one name (SELECT system_identifier FROM pg_control_system()).")
    String systemId;

    /** An open archive, with what must be closed after it. */
    record Opened(WalArchive archive, Repository repository, Sink sink) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            try {
                repository.close();
            } finally {
                if (sink != null) {
                    sink.close();
                }
            }
        }
    }

    Opened open(MintBackup root) {
        return open(root, SinkOptions.defaults());
    }

    /**
     * Opens the archive on a Sink opened with {@code options}: PostgreSQL's archive_command and restore_command ask
     * for a shorter retry budget ({@link #commandSink}) than a long-running command.
     */
    Opened open(MintBackup root, SinkOptions options) {
        Repository repo;
        Sink sink;
        String name = cluster;
        if (config != null || job != null) {
            if (config == null || job == null) {
                throw new InvalidInputException("--config and --job go together: the job names the repository and the cluster");
            }
            JobsConfig jobs = JobsSupport.load(config);
            JobRunner runner = JobsSupport.runner(root, jobs);
            sink = Sinks.open(runner.repositoryLocation(job), options);
            try {
                repo = runner.openJobRepository(job, sink);
            } catch (RuntimeException e) {
                closeQuietly(sink);
                throw e;
            }
            if (name == null) {
                name = clusterOf(jobs, job);
            }
        } else {
            if (name == null) {
                throw new InvalidInputException("no cluster name: give --cluster C with --repo R (or --config F --job J)");
            }
            sink = repository.openSink(root, options);
            try {
                repo = repository.open(root, sink);
            } catch (RuntimeException e) {
                closeQuietly(sink);
                throw e;
            }
        }
        WalArchive archive;
        try {
            archive = WalArchive.open(repo, name);
            if (systemId != null) {
                try {
                    archive = archive.system(Long.parseUnsignedLong(systemId.strip()));
                } catch (NumberFormatException e) {
                    throw new InvalidInputException("--system-id " + systemId + " is not a system identifier (a decimal number)");
                }
            }
        } catch (RuntimeException e) {
            repo.close();
            closeQuietly(sink);
            throw e;
        }
        return new Opened(archive, repo, sink);
    }

    /**
     * The cluster a job's WAL is archived under: its source's {@code options.cluster} (what a postgresql-physical job
     * requires, so base backups and WAL share one name), else the job's name.
     */
    static String clusterOf(JobsConfig jobs, String job) {
        String option = jobs.job(job).source().options().get("cluster");
        return option == null || option.isBlank() ? job : option.strip();
    }

    private static void closeQuietly(Sink sink) {
        if (sink != null) {
            try {
                sink.close();
            } catch (Exception ignored) {
                // closing after a failure
            }
        }
    }
}
