package com.mintreplica.backup.crypto;

/** The packet format of the OpenPGP messages this module writes. */
public enum OpenPgpMessageFormat {
    /**
     * Symmetrically encrypted integrity-protected data v1 (AES-256, with a modification detection code): what GnuPG
     * 2.2 and every other OpenPGP implementation read. The default.
     */
    SEIPD_V1("seipd1"),
    /**
     * RFC 9580 SEIPD v2 (AES-256 OCB, authenticated per chunk). Opt-in: GnuPG 2.2 cannot read it.
     */
    SEIPD_V2_AEAD("seipd2");

    private final String id;

    OpenPgpMessageFormat(String id) {
        this.id = id;
    }

    /** The name recorded in parameters and the config: {@code seipd1}, {@code seipd2}. */
    public String id() {
        return id;
    }

    public static OpenPgpMessageFormat fromId(String id) {
        for (OpenPgpMessageFormat f : values()) {
            if (f.id.equals(id)) {
                return f;
            }
        }
        throw new com.mintreplica.backup.core.UnsupportedException("unknown OpenPGP message format '" + id
                + "': this mint-backup knows seipd1 and seipd2");
    }
}
