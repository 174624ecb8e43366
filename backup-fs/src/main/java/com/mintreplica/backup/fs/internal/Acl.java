package com.mintreplica.backup.fs.internal;

import java.util.OptionalInt;

/**
 * Reads the kernel's binary form of a POSIX ACL ({@code system.posix_acl_access}): a little-endian header (version 2)
 * and 8-byte entries of tag (16 bits), permissions (16 bits) and id (32 bits).
 */
final class Acl {
    private static final int VERSION = 2;
    private static final int ACL_GROUP_OBJ = 0x04;

    private Acl() {
    }

    /** The permissions (rwx as 0-7) of the owning group's entry, or empty when the value is not an ACL. */
    static OptionalInt groupObjPermissions(byte[] acl) {
        if (acl.length < 4 || (acl.length - 4) % 8 != 0 || le32(acl, 0) != VERSION) {
            return OptionalInt.empty();
        }
        for (int off = 4; off < acl.length; off += 8) {
            int tag = (acl[off] & 0xFF) | (acl[off + 1] & 0xFF) << 8;
            int perm = (acl[off + 2] & 0xFF) | (acl[off + 3] & 0xFF) << 8;
            if (tag == ACL_GROUP_OBJ) {
                return OptionalInt.of(perm & 07);
            }
        }
        return OptionalInt.empty();
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }
}
