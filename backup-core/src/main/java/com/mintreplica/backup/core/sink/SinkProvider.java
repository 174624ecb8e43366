package com.mintreplica.backup.core.sink;

import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * Opens Sinks for repository URIs of some schemes. Found through {@code META-INF/services}, so that the CLI and the
 * config file can open {@code s3://...} or {@code gs://...} when the matching module is on the class path, while the
 * core names no adapter. Applications usually build their Sink directly instead.
 */
public interface SinkProvider {

    /** The URI schemes this provider opens, for example {@code s3}. */
    Set<String> schemes();

    /** The module to add for these schemes, named in the error when it is missing (for example {@code backup-storage-s3}). */
    String module();

    /** Opens a Sink for {@code uri}; the caller closes it. */
    Sink open(URI uri) throws IOException;

    /**
     * Opens a Sink for {@code uri} with what the caller asks beyond the URI ({@link SinkOptions}); a parameter in the
     * URI wins over an option. The default ignores the options, which suits a Sink with nothing to retry.
     */
    default Sink open(URI uri, SinkOptions options) throws IOException {
        return open(uri);
    }
}
