package com.mintreplica.backup.postgres.internal.receive;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where {@code WalReceiver} puts what it streamed: the repository's WAL archive. {@link #push} returns only once the
 * file is durable there, since the receiver then lets PostgreSQL remove that WAL.
 */
public interface WalDestination {

    /**
     * Stores {@code file} under its file name ({@code 000000010000000000000003}, {@code ...03.partial},
     * {@code 00000002.history}), replacing an object of that name; returns once it is durable.
     */
    void push(Path file) throws IOException;

    /** This destination for the server of system identifier {@code systemId} (as IDENTIFY_SYSTEM prints it). */
    default WalDestination forSystem(String systemId) {
        return this;
    }

    /** Removes the object {@code fileName} (a superseded {@code .partial}); nothing when there is none. */
    void remove(String fileName) throws IOException;
}
