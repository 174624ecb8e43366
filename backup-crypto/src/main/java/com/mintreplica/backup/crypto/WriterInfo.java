package com.mintreplica.backup.crypto;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A writer of a repository, as its writers list says (see {@link KeyManager#writers()}).
 *
 * @param id the writer's id (32 hex digits), as its writer key file names it
 * @param name the name given when it was exported
 * @param added when it was exported
 * @param revoked when it was revoked; empty while it is valid
 * @param keptObjects of a revoked writer, how many of its objects (manifests, index objects) stay trusted: those it
 *     wrote before it was revoked
 */
public record WriterInfo(String id, String name, Instant added, Optional<Instant> revoked, int keptObjects) {
    public WriterInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(added, "added");
        Objects.requireNonNull(revoked, "revoked");
    }

    /** Whether {@code selector} names it: its name, or its id or a prefix of at least 8 hex digits. */
    public boolean matches(String selector) {
        String s = selector.trim();
        return s.equals(name) || (s.length() >= 8 && id.toLowerCase(java.util.Locale.ROOT)
                .startsWith(s.toLowerCase(java.util.Locale.ROOT)));
    }

    @Override
    public String toString() {
        return "writer '" + name + "' (" + id + "), added " + added + revoked.map(r -> ", revoked " + r + " (" + keptObjects
                + " objects it wrote before stay trusted)").orElse("");
    }
}
