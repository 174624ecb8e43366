package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.sink.ObjectKind;

/**
 * What a blob holds, and so which packs it lives in: file content in {@code data/} packs, directory listings (tree
 * blobs) in {@code tree/} packs. A pack holds blobs of one type only. Keeping the trees apart means listing,
 * comparing with the parent and pruning read only small tree packs, a Sink can keep them in an instantly readable
 * storage class while data packs go cold, and lifecycle rules that archive {@code data/} never archive metadata.
 */
public enum BlobType {
    DATA(0, "data/", ObjectKind.DATA),
    TREE(1, "tree/", ObjectKind.TREE);

    private final int code;
    private final String prefix;
    private final ObjectKind kind;

    BlobType(int code, String prefix, ObjectKind kind) {
        this.code = code;
        this.prefix = prefix;
        this.kind = kind;
    }

    /** The byte that stands for this type in index objects. */
    public int code() {
        return code;
    }

    /** Where packs of this type live: {@code data/} or {@code tree/}. */
    public String prefix() {
        return prefix;
    }

    /** The kind a Sink is told when a pack of this type is stored. */
    public ObjectKind objectKind() {
        return kind;
    }

    public static BlobType ofCode(int code) {
        for (BlobType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown blob type " + code);
    }
}
