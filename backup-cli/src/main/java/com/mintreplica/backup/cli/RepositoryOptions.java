package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.Sinks;
import picocli.CommandLine.Option;

/** {@code --repo}, shared by every command that works on a repository. */
final class RepositoryOptions {
    static final String ENV = "MINT_BACKUP_REPOSITORY";

    @Option(names = {"-r", "--repo"}, paramLabel = "R",
            description = "The repository: a directory, file:///..., s3://bucket/prefix or gs://bucket/prefix."
                    + " Default: $" + ENV + ".")
    String repo;

    String location(MintBackup root) {
        String location = repo != null ? repo : root.env.get(ENV);
        if (location == null || location.isBlank()) {
            throw new InvalidInputException("no repository given: use --repo R or set " + ENV);
        }
        return location;
    }

    /** Opens the Sink of the repository; the caller closes it. */
    Sink openSink(MintBackup root) {
        return Sinks.open(location(root));
    }

    /** Opens the repository; closing it closes its Sink. */
    Repository open(MintBackup root) {
        return Repository.open(location(root));
    }
}
