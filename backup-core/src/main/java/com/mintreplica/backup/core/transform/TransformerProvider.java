package com.mintreplica.backup.core.transform;

import java.util.Map;

/**
 * Rebuilds a {@link Transformer} from the name and parameters a repository recorded. Found through
 * {@code META-INF/services}, so the core rebuilds chains whose transformers live in other modules.
 */
public interface TransformerProvider {

    /** The {@link Transformer#name()} this provider rebuilds. */
    String name();

    /**
     * The module that holds this provider, named in the error when a repository needs it and it is missing:
     * {@code backup-crypto}. Abstract, as {@link com.mintreplica.backup.core.source.SourceProvider#module()} is: a
     * default would name the wrong module for every provider outside the core.
     */
    String module();

    /** A transformer for the recorded {@code parameters}. */
    Transformer create(Map<String, String> parameters);
}
