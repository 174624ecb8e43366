package com.mintreplica.backup.core.sink;

import java.util.List;
import java.util.Optional;

/**
 * Where a repository keeps each {@link ObjectKind} of object, by object name, for a Sink that must act on a kind
 * without a put that names it: a lifecycle rule that archives data objects after some days, or putting back an old
 * version of an object. The core owns its layout; a Sink takes it from here and never re-derives it from the names
 * it sees. Names outside these prefixes (an encryption's or a job layer's own objects) have no kind here.
 */
public final class RepositoryObjects {
    /** The repository's config object. */
    public static final String CONFIG = "config";
    /**
     * Where archived PostgreSQL WAL is kept ({@code wal/<cluster>/<system id>/...}, one object per WAL file): not
     * snapshots and not packs, so prune and the snapshot engines never touch it.
     */
    public static final String WAL_PREFIX = "wal/";

    private RepositoryObjects() {
    }

    /**
     * The name prefixes under which objects of {@code kind} are stored ({@link ObjectKind#CONFIG}: the one object
     * name {@value #CONFIG}). {@link ObjectKind#DATA} has two: packs of blobs ({@code data/}) and the entries of the
     * single-object layout ({@code files/}); {@link ObjectKind#TREE}, the tree packs of format 2 ({@code tree/}), is
     * apart from them so that a lifecycle rule archiving data never archives trees; {@link ObjectKind#WAL} is apart
     * too, as a restore reads archived WAL at once and in order. {@link ObjectKind#KEY} covers all key
     * material: wrapped data keys, and the writers list and writers' session keys of a repository with writers. Empty for a kind the core stores under no fixed prefix.
     */
    public static List<String> namePrefixes(ObjectKind kind) {
        return switch (kind) {
            case CONFIG -> List.of(CONFIG);
            case KEY -> List.of("keys/", "writers/", "sessions/");
            case SNAPSHOT -> List.of("snapshots/");
            case INDEX -> List.of("index/");
            case DATA -> List.of("data/", "files/");
            case TREE -> List.of("tree/");
            case LOCK -> List.of("locks/");
            case AUDIT -> List.of("audit/");
            case WAL -> List.of(WAL_PREFIX);
            default -> List.of();
        };
    }

    /** The kind of the repository object called {@code name}, when it is one the core stores under a known prefix. */
    public static Optional<ObjectKind> kindOf(String name) {
        if (name.equals(CONFIG)) {
            return Optional.of(ObjectKind.CONFIG);
        }
        for (ObjectKind kind : ObjectKind.values()) {
            if (kind != ObjectKind.CONFIG && namePrefixes(kind).stream().anyMatch(name::startsWith)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }
}
