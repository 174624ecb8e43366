package com.mintreplica.backup.core.sink;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * An object store: the place a repository lives. Object names are opaque to the Sink: {@code /}-separated paths made
 * of the characters {@code [A-Za-z0-9._-]}, never starting with a dot and never with {@code ..} segments.
 *
 * <p>Every Sink can put (streaming, length known or not), get (whole or a range), stat, list by prefix and delete. What
 * differs between stores is declared in {@link #capabilities()}: the repository asks, and degrades or refuses with a
 * clear message instead of testing {@code instanceof}.
 *
 * <p>Contract, checked by {@code SinkContract} in backup-testkit for every adapter:
 * <ul>
 *   <li>an object appears whole or not at all: a reader never sees a half-written object under its final name;</li>
 *   <li>{@link #put} replaces an existing object; {@link #putIfAbsent} never does (with {@link SinkCapability#ATOMIC_CREATE});</li>
 *   <li>{@link #delete} of a missing object is not an error;</li>
 *   <li>{@link #list} returns each object under the prefix once, in no particular order, however many there are.</li>
 * </ul>
 *
 * <p>Methods throw {@link IOException} on I/O failure, and {@link NoSuchObjectException} (an IOException) when a named
 * object does not exist. A Sink is safe for concurrent use by several threads. Closing it releases what it created
 * (clients, threads), never what it was given.
 */
public interface Sink extends AutoCloseable {

    /** What this store can do beyond the basic operations. */
    Set<SinkCapability> capabilities();

    /**
     * Stores {@code content} under {@code name}, replacing any object of that name. Reads {@code content} to its end
     * but does not close it.
     *
     * @param length the number of bytes {@code content} holds, or {@code -1} when unknown (the Sink then streams it
     *     in parts with bounded memory)
     * @param kind what the object is, so a store can choose a storage class for it
     */
    void put(String name, InputStream content, long length, ObjectKind kind) throws IOException;

    /**
     * Stores {@code content} under {@code name} only if no object of that name exists, atomically: of two concurrent
     * calls for one name, exactly one returns {@code true}. Requires {@link SinkCapability#ATOMIC_CREATE}; without it
     * this throws {@link UnsupportedOperationException}.
     *
     * @return {@code true} if this call created the object, {@code false} if it already existed
     */
    default boolean putIfAbsent(String name, InputStream content, long length, ObjectKind kind) throws IOException {
        throw new UnsupportedOperationException(describe() + " cannot create objects atomically");
    }

    /** Opens the whole object for reading. The caller closes the stream. */
    InputStream get(String name) throws IOException;

    /**
     * Opens {@code length} bytes of the object starting at {@code offset}. Fewer bytes are returned only when the
     * object ends first. The caller closes the stream.
     */
    InputStream get(String name, long offset, long length) throws IOException;

    /** The object's size and time, or empty when it does not exist. */
    Optional<ObjectInfo> stat(String name) throws IOException;

    /**
     * Every object whose name starts with {@code prefix}. The stream may page through the store lazily and must be
     * closed by the caller.
     */
    Stream<ObjectInfo> list(String prefix) throws IOException;

    /** Deletes the object; deleting a missing object does nothing. */
    void delete(String name) throws IOException;

    /** Where this Sink stores, for messages and logs: never with credentials. */
    String describe();

    /** Releases what the Sink created. The default does nothing. */
    @Override
    default void close() throws IOException {
    }
}
