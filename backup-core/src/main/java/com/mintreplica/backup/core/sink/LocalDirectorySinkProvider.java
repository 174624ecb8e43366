package com.mintreplica.backup.core.sink;

import java.net.URI;
import java.nio.file.Path;
import java.util.Set;

/** Opens {@code file:} repository URIs as {@link LocalDirectorySink}s. */
public final class LocalDirectorySinkProvider implements SinkProvider {
    @Override
    public Set<String> schemes() {
        return Set.of("file");
    }

    @Override
    public String module() {
        return "backup-core";
    }

    @Override
    public Sink open(URI uri) {
        if (uri.getPath() == null || uri.getPath().isEmpty()) {
            // file:relative/dir is opaque; take what follows the scheme as a path
            return new LocalDirectorySink(Path.of(uri.getSchemeSpecificPart()));
        }
        return new LocalDirectorySink(Path.of(uri));
    }
}
