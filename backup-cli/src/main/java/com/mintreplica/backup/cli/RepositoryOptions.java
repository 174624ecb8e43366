package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkOptions;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.crypto.OpenPgpEncryption;
import com.mintreplica.backup.crypto.OpenPgpKeys;
import com.mintreplica.backup.crypto.OpenPgpSecretKey;
import com.mintreplica.backup.crypto.PassphraseCallback;
import com.mintreplica.backup.crypto.WriterKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code --repo}, and the keys that open an encrypted repository, shared by every command that works on one: secret
 * keys (readers), or a writer key (write-only: backups and copies into the repository). Passphrases come from a file
 * or the environment, never from an argument.
 */
final class RepositoryOptions {
    static final String REPOSITORY_ENV = "MINT_BACKUP_REPOSITORY";
    static final String KEY_ENV = "MINT_BACKUP_KEY_FILE";
    static final String PASSPHRASE_ENV = "MINT_BACKUP_PASSPHRASE";
    static final String WRITER_KEY_ENV = "MINT_BACKUP_WRITER_KEY_FILE";
    static final String CACHE_ENV = "XDG_CACHE_HOME";

    @Option(names = {"-r", "--repo"}, paramLabel = "R",
            description = "The repository: a directory, file:///..., s3://bucket/prefix or gs://bucket/prefix."
                    + " Default: $" + REPOSITORY_ENV + ".")
    String repo;

    @Option(names = "--key", paramLabel = "SECRET.asc",
            description = "An OpenPGP secret key that opens an encrypted repository (repeatable). Default: $" + KEY_ENV + ".")
    List<Path> keys = new ArrayList<>();

    @Option(names = "--no-cache",
            description = "Keep no local cache of snapshot summaries (by default in $XDG_CACHE_HOME/mint-backup,"
                    + " or ~/.cache/mint-backup).")
    boolean noCache;

    @Option(names = "--passphrase-file", paramLabel = "F",
            description = "A file whose first line is the secret key's passphrase. Default: $" + PASSPHRASE_ENV + ".")
    Path passphraseFile;

    @Option(names = "--writer-key", paramLabel = "F",
            description = "A writer key file (mint-backup key writer export): back up into an encrypted repository with"
                    + " public material only; it reads nothing. Used when no --key is given. Default: $" + WRITER_KEY_ENV + ".")
    Path writerKey;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "The local cache: snapshot summaries and tree packs (readers), or a writer's cache of unchanged"
                    + " files. Default: $" + CACHE_ENV + "/mint-backup, else ~/.cache/mint-backup.")
    Path cacheDir;

    String location(MintBackup root) {
        String location = repo != null ? repo : root.env.get(REPOSITORY_ENV);
        if (location == null || location.isBlank()) {
            throw new InvalidInputException("no repository given: use --repo R or set " + REPOSITORY_ENV);
        }
        return location;
    }

    /** Opens the Sink of the repository; the caller closes it. */
    Sink openSink(MintBackup root) {
        return openSink(root, SinkOptions.defaults());
    }

    /** Opens the Sink of the repository with what the command asks of it; the caller closes it. */
    Sink openSink(MintBackup root, SinkOptions options) {
        return Sinks.open(location(root), options);
    }

    /**
     * Opens the repository, unlocked with the given secret keys when there are any, else with the writer key when there
     * is one; closing it closes its Sink.
     */
    Repository open(MintBackup root) {
        Repository repository;
        try {
            repository = Repository.open(location(root), encryption(root).orElse(null));
        } catch (com.mintreplica.backup.core.NotFoundException e) {
            throw withInitCommand(e, location(root));
        }
        cacheDirectory(root).ifPresent(repository::withCache);
        return repository;
    }

    /**
     * The core's "no repository here: create one with `mint-backup init --repo X`" names the store as it describes it
     * ({@code s3://bucket/prefix at http://host:port}), which cannot be pasted: the command gets the location as given,
     * quoted, without its secrets.
     */
    static RuntimeException withInitCommand(com.mintreplica.backup.core.NotFoundException e, String location) {
        String message = String.valueOf(e.getMessage());
        int at = message.indexOf("create one with `mint-backup init --repo ");
        if (at < 0) {
            return e;
        }
        return new com.mintreplica.backup.core.NotFoundException(message.substring(0, at)
                + "create one with `mint-backup init --repo '" + com.mintreplica.backup.core.sink.Sinks.redact(location) + "'`", e);
    }

    /**
     * Opens the repository on {@code sink}, which the caller opened (with {@link SinkOptions} of its own) and closes
     * after the repository; unlocked as {@link #open(MintBackup)} unlocks it.
     */
    Repository open(MintBackup root, Sink sink) {
        Optional<RepositoryEncryption> encryption = encryption(root);
        Repository repository;
        try {
            repository = encryption.isPresent() ? Repository.open(sink, encryption.get()) : Repository.open(sink);
        } catch (com.mintreplica.backup.core.NotFoundException e) {
            throw withInitCommand(e, location(root));
        }
        cacheDirectory(root).ifPresent(repository::withCache);
        return repository;
    }

    /** The given secret keys when there are any, else the writer key when there is one. */
    private Optional<RepositoryEncryption> encryption(MintBackup root) {
        List<OpenPgpSecretKey> secretKeys = secretKeys(root);
        if (!secretKeys.isEmpty()) {
            return Optional.of(OpenPgpEncryption.unlockWith(secretKeys));
        }
        return writerKey(root).map(OpenPgpEncryption::writeWith);
    }

    /** The writer key given by --writer-key or the environment, with its cache directory. */
    Optional<WriterKey> writerKey(MintBackup root) {
        Path file = writerKey;
        if (file == null && root.env.get(WRITER_KEY_ENV) != null && !root.env.get(WRITER_KEY_ENV).isBlank()) {
            file = Path.of(root.env.get(WRITER_KEY_ENV));
        }
        if (file == null) {
            return Optional.empty();
        }
        // A writer's parent cache is what lets it skip unchanged files at all: it is kept even with --no-cache.
        Path cache = cacheDir != null ? cacheDir
                : envCacheDirectory(root).orElse(Path.of(System.getProperty("user.home"), ".cache", "mint-backup"));
        return Optional.of(WriterKey.load(file).withCacheDirectory(cache));
    }

    /**
     * Where snapshot summaries and tree packs are cached (a reader's): --cache-dir, else
     * {@code $XDG_CACHE_HOME/mint-backup}, else {@code $HOME/.cache/mint-backup}; none with {@code --no-cache} or
     * when none of these is set.
     */
    Optional<Path> cacheDirectory(MintBackup root) {
        if (noCache) {
            return Optional.empty();
        }
        return cacheDir != null ? Optional.of(cacheDir) : envCacheDirectory(root);
    }

    /** The default cache directory: {@code $XDG_CACHE_HOME/mint-backup}, else {@code $HOME/.cache/mint-backup}. */
    static Optional<Path> envCacheDirectory(MintBackup root) {
        String xdg = root.env.get(CACHE_ENV);
        if (xdg != null && !xdg.isBlank()) {
            return Optional.of(Path.of(xdg, "mint-backup"));
        }
        String home = root.env.get("HOME");
        if (home != null && !home.isBlank()) {
            return Optional.of(Path.of(home, ".cache", "mint-backup"));
        }
        return Optional.empty();
    }

    /** The secret key files given by --key, else by the environment. */
    List<Path> keyFiles(MintBackup root) {
        List<Path> files = new ArrayList<>(keys);
        if (files.isEmpty() && root.env.get(KEY_ENV) != null && !root.env.get(KEY_ENV).isBlank()) {
            files.add(Path.of(root.env.get(KEY_ENV)));
        }
        return files;
    }

    /** Whether the secret keys' passphrase came from the environment rather than from a file. */
    boolean passphraseFromEnvironment(MintBackup root) {
        return passphraseFile == null && root.env.get(PASSPHRASE_ENV) != null;
    }

    /** Whether the secret key in {@code file} opens without a passphrase. */
    static boolean opensWithoutPassphrase(Path file) {
        try {
            OpenPgpKeys.secretKey(file, PassphraseCallback.none());
            return true;
        } catch (AccessDeniedException e) {
            return false;
        }
    }

    /** The secret keys given by --key or the environment, unlocked. */
    List<OpenPgpSecretKey> secretKeys(MintBackup root) {
        List<Path> files = keyFiles(root);
        List<OpenPgpSecretKey> out = new ArrayList<>();
        Optional<Secret> passphrase = passphrase(root);
        for (Path file : files) {
            try {
                out.add(OpenPgpKeys.secretKey(file, passphrase.map(PassphraseCallback::of).orElse(PassphraseCallback.none())));
            } catch (AccessDeniedException e) {
                if (passphrase.isEmpty() && !String.valueOf(e.getMessage()).contains("--passphrase-file")) {
                    // (the key's own message says so already: the hint was printed twice)
                    throw new AccessDeniedException(e.getMessage() + ": give its passphrase with --passphrase-file F or in $"
                            + PASSPHRASE_ENV, e);
                }
                throw e;
            }
        }
        return out;
    }

    private Optional<Secret> passphrase(MintBackup root) {
        if (passphraseFile != null) {
            return Optional.of(OpenPgpKeys.passphraseFile(passphraseFile));
        }
        String value = root.env.get(PASSPHRASE_ENV);
        return value == null ? Optional.empty() : Optional.of(Secret.of(value));
    }
}
