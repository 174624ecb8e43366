package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.postgres.wal.WalArchive;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where a WAL command's archive is: a jobs config and a job ({@code --config F --job J}: the job's repository and
 * keys, the job's name as the cluster name), or a repository and a cluster name ({@code --repo R --cluster C}, keys as
 * for every command).
 */
final class WalOptions {
    @Mixin
    RepositoryOptions repository;

    @Option(names = "--config", paramLabel = "F", description = "A jobs config (YAML): the archive is the job's (--job).")
    Path config;

    @Option(names = "--job", paramLabel = "J", description = "The job whose repository and keys to use; its name names the cluster.")
    String job;

    @Option(names = "--cluster", paramLabel = "C", description = "The cluster's name in the archive (with --repo; with"
            + " --config, the job's name unless given).")
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
        Repository repo;
        Sink sink = null;
        String name = cluster;
        if (config != null || job != null) {
            if (config == null || job == null) {
                throw new InvalidInputException("--config and --job go together: the job names the repository and the cluster");
            }
            JobRunner runner = JobsSupport.runner(root, JobsSupport.load(config));
            sink = Sinks.open(runner.repositoryLocation(job));
            try {
                repo = runner.openJobRepository(job, sink);
            } catch (RuntimeException e) {
                closeQuietly(sink);
                throw e;
            }
            if (name == null) {
                name = job;
            }
        } else {
            if (name == null) {
                throw new InvalidInputException("no cluster name: give --cluster C with --repo R (or --config F --job J)");
            }
            repo = repository.open(root);
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
