package com.mintreplica.backup.fs.archfixture;

/** Deliberately breaks "adapters never import core.internal": an adapter package calling a core.internal class. */
public final class ImportsCoreInternal {
    private ImportsCoreInternal() {
    }

    public static String hex(byte[] bytes) {
        return com.mintreplica.backup.core.internal.Hex.encode(bytes);
    }
}
