package com.mintreplica.backup.core.encryption;

import com.mintreplica.backup.core.transform.Transformer;
import java.util.Map;
import java.util.Objects;
import javax.crypto.SecretKey;

/**
 * The unlocked keys of an encrypted repository, as the core uses them.
 *
 * @param transformer appended to the repository's transformer chain for every stored object (blobs, pack headers,
 *     indexes, manifests, single-layout entries); it must detect any change to what it encoded. Not recorded in the
 *     config's chain: the config's {@link RepositoryEncryption#SCHEME_EXTENSION} says it is there. A writer's
 *     transformer encodes only: decoding fails with an {@link com.mintreplica.backup.core.AccessDeniedException}.
 * @param blobIdKey the HMAC-SHA256 key that names blobs and index objects, so names reveal no plaintext hash
 * @param extensions what {@link RepositoryEncryption#create} wants recorded in the config (never secrets); ignored
 *     by {@link RepositoryEncryption#unlock}
 * @param access what the keys may do (read, or only write) and how metadata objects are signed and checked
 */
public record RepositoryKeys(Transformer transformer, SecretKey blobIdKey, Map<String, String> extensions,
                             AccessControl access) {
    public RepositoryKeys {
        Objects.requireNonNull(transformer, "transformer");
        Objects.requireNonNull(blobIdKey, "blobIdKey");
        Objects.requireNonNull(access, "access");
        extensions = Map.copyOf(extensions);
    }

    /** Keys that read everything and sign nothing; see {@link AccessControl#readerOnly}. */
    public RepositoryKeys(Transformer transformer, SecretKey blobIdKey, Map<String, String> extensions) {
        this(transformer, blobIdKey, extensions, AccessControl.readerOnly(transformer));
    }

    @Override
    public String toString() {
        return "RepositoryKeys[" + transformer + ", blob id key ***, " + access.describe() + "]";
    }
}
