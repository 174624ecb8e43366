package com.mintreplica.backup.core.source;

import java.util.Objects;

/**
 * What a snapshot was taken of: a kind ({@code fs}, {@code postgresql}, {@code mongodb}) and a name within it
 * ({@code /etc/mint}, {@code db.example.com:5432/mint_replica}). Snapshots of one source (and host) form a group for
 * retention, and the latest snapshot of the same source is the parent of the next backup. The name never holds
 * credentials.
 */
public record SourceId(String kind, String name) {
    public SourceId {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
    }

    @Override
    public String toString() {
        return kind + ":" + name;
    }
}
