package com.mintreplica.backup.core.encryption;

import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.sink.Sink;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;

/**
 * Encryption at rest for a repository. The core calls {@link #create} when a repository is initialised with it
 * ({@code Repository.init(sink, settings, encryption)}) and {@link #unlock} when an encrypted repository is opened
 * ({@code Repository.open(sink, encryption)}). Both return the {@link RepositoryKeys} the core then uses for every
 * object it stores or reads.
 *
 * <p>The repository's {@code config} records the scheme under {@link #SCHEME_EXTENSION} (and whatever else
 * {@link RepositoryKeys#extensions()} returns: never secrets). An encrypted repository opened without an encryption
 * fails with an {@link com.mintreplica.backup.core.AccessDeniedException}.
 *
 * <p>Implementations keep their own objects under {@code keys/} on the Sink; the core never reads them.
 */
public interface RepositoryEncryption {

    /** The config extension that marks a repository as encrypted; its value is the {@link #scheme()}. */
    String SCHEME_EXTENSION = "encryption";

    /**
     * The config extension that lists, for people, the keys a repository was created for (key ids, fingerprints). The
     * core names them when an encrypted repository is opened without a key.
     */
    String RECIPIENTS_EXTENSION = "encryption.recipients";

    /** The prefix under which implementations store their key objects. */
    String KEYS_PREFIX = "keys/";

    /** The scheme recorded in the config, e.g. {@code openpgp}. An encryption only unlocks repositories of its scheme. */
    String scheme();

    /**
     * Creates the keys of a new repository and stores what a later {@link #unlock} needs (wrapped keys) under
     * {@link #KEYS_PREFIX}. Called before the config is written; the repository exists only once the config is.
     *
     * @throws com.mintreplica.backup.core.InvalidInputException when this encryption cannot create keys (it was made
     *     only to unlock)
     */
    RepositoryKeys create(Context context) throws IOException;

    /**
     * Unlocks an existing repository with the keys this encryption holds.
     *
     * @throws com.mintreplica.backup.core.AccessDeniedException when they do not open it; the message names the keys
     *     the repository expects
     */
    RepositoryKeys unlock(Context context) throws IOException;

    /**
     * Whether this encryption holds write-only material (a writer): it then never opens an unencrypted repository,
     * where it would store in clear what its owner meant to encrypt. The default is false.
     */
    default boolean writeOnly() {
        return false;
    }

    /**
     * Removes what {@link #create} stored, when the repository could not be created after all (another process
     * created one at the same location first). The default does nothing.
     */
    default void discard(Context context, RepositoryKeys keys) throws IOException {
    }

    /**
     * What the core tells an encryption about the repository.
     *
     * @param sink where the repository is; implementations read and write only under {@link #KEYS_PREFIX}
     * @param repositoryId the repository's unique id (bind key objects to it)
     * @param layout chunked or single-object
     * @param extensions the config's extensions (empty in {@link #create})
     */
    record Context(Sink sink, String repositoryId, Layout layout, Map<String, String> extensions) {
        public Context {
            Objects.requireNonNull(sink, "sink");
            Objects.requireNonNull(repositoryId, "repositoryId");
            Objects.requireNonNull(layout, "layout");
            extensions = Map.copyOf(extensions);
        }
    }
}
