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
 *     config's chain: the config's {@link RepositoryEncryption#SCHEME_EXTENSION} says it is there.
 * @param blobIdKey the HMAC-SHA256 key that names blobs and index objects, so names reveal no plaintext hash
 * @param extensions what {@link RepositoryEncryption#create} wants recorded in the config (never secrets); ignored
 *     by {@link RepositoryEncryption#unlock}
 */
public record RepositoryKeys(Transformer transformer, SecretKey blobIdKey, Map<String, String> extensions) {
    public RepositoryKeys {
        Objects.requireNonNull(transformer, "transformer");
        Objects.requireNonNull(blobIdKey, "blobIdKey");
        extensions = Map.copyOf(extensions);
    }

    @Override
    public String toString() {
        return "RepositoryKeys[" + transformer + ", blob id key ***]";
    }
}
