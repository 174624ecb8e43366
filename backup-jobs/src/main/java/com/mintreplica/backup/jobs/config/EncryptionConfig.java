package com.mintreplica.backup.jobs.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a repository is encrypted (see backup-crypto).
 *
 * @param recipients the keys a new repository is encrypted to (names from {@code keys}); used when a job creates it
 * @param unlock the keys with secret parts that open it (names from {@code keys}): a reader
 * @param writer a writer key file ({@code mint-backup key writer export}) that backs up and copies into it with public
 *     material only, when there is no {@code unlock} key on this host: the repository is then write-only here, and
 *     nothing that reads it (retention, prune, drills, copies from it) can run here
 * @param cache where the writer keeps its cache of unchanged files (default: {@code $XDG_CACHE_HOME/mint-backup}, else
 *     {@code ~/.cache/mint-backup})
 */
public record EncryptionConfig(List<String> recipients, List<String> unlock, Optional<Path> writer, Optional<Path> cache) {
    /**
     * The scheme of the config's keys, by which its {@code EncryptionProvider} is found on the class path (backup-crypto
     * provides it): the jobs layer names no encryption module.
     */
    public static final String SCHEME = "openpgp";

    public EncryptionConfig {
        recipients = List.copyOf(recipients);
        unlock = List.copyOf(unlock);
        Objects.requireNonNull(writer, "writer");
        Objects.requireNonNull(cache, "cache");
    }

    /** A repository opened with secret keys. */
    public EncryptionConfig(List<String> recipients, List<String> unlock) {
        this(recipients, unlock, Optional.empty(), Optional.empty());
    }

    /** A repository this host writes to with a writer key only. */
    public static EncryptionConfig writer(Path writerKey) {
        return new EncryptionConfig(List.of(), List.of(), Optional.of(writerKey), Optional.empty());
    }

    /** Whether this host only writes to the repository: a writer key and no key that reads. */
    public boolean writeOnly() {
        return writer.isPresent() && unlock.isEmpty();
    }
}
