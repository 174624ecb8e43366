package com.mintreplica.backup.core.encryption;

import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.internal.ServiceProviders;
import java.util.Optional;
import java.util.TreeSet;

/** Finds the {@link EncryptionProvider} of a scheme among those on the class path. */
public final class Encryptions {
    private Encryptions() {
    }

    /** The provider of {@code id}, if its module is on the class path. */
    public static Optional<EncryptionProvider> forId(String id) {
        return forId(id, Encryptions.class.getClassLoader());
    }

    static Optional<EncryptionProvider> forId(String id, ClassLoader loader) {
        for (EncryptionProvider p : ServiceProviders.load(EncryptionProvider.class, loader).providers()) {
            if (p.id().equals(id)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * Like {@link #forId} but fails with a message naming the module to add and the schemes that are there.
     *
     * @throws UnsupportedException when no provider of {@code id} is on the class path
     */
    public static EncryptionProvider require(String id) {
        ServiceProviders.Loaded<EncryptionProvider> loaded = ServiceProviders.load(EncryptionProvider.class,
                Encryptions.class.getClassLoader());
        TreeSet<String> available = new TreeSet<>();
        for (EncryptionProvider p : loaded.providers()) {
            if (p.id().equals(id)) {
                return p;
            }
            available.add(p.id());
        }
        throw new UnsupportedException("no encryption of scheme '" + id + "' is on the class path"
                + (id.equals("openpgp") ? ": add com.mintreplica.backup:backup-crypto" : "") + ". Available: "
                + available + "." + loaded.failureNote());
    }
}
