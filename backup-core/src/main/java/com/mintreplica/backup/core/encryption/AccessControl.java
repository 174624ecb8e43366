package com.mintreplica.backup.core.encryption;

import com.mintreplica.backup.core.transform.Transformer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.SecretKey;

/**
 * What a repository's unlocked keys may do, and how the metadata objects they write are authenticated. Part of the
 * {@link RepositoryKeys} an encryption returns.
 *
 * <p>A <em>reader</em> (a recipient's secret key) decrypts everything. A <em>writer</em> (write-only material, such as
 * backup-crypto's writer key file) can only add snapshots: it decrypts nothing stored, so the core never asks it for a
 * manifest, a pack or the locations of an index object, and commands that need to read fail with an
 * {@link com.mintreplica.backup.core.AccessDeniedException} saying that a reader's key is needed. Index objects then
 * carry a writer-readable part listing their blob ids (sealed with {@link #shared()} and authenticated by
 * {@link #seal}), so that writers still deduplicate against everything stored.
 *
 * <p>The core calls {@link #seal} on every manifest and index object it stores (on the bytes it would otherwise
 * store) and {@link #open} on every one it reads; an implementation signs and checks there, and decides which
 * snapshots are trusted.
 */
public interface AccessControl {

    /** Whether these keys decrypt what is stored; false for write-only material. */
    boolean canRead();

    /** The keys, for messages: never secret material. */
    String describe();

    /**
     * Whether index objects are written with a writer-readable id part (index format 2): true once a repository has
     * writers, so that they deduplicate against what readers store too.
     */
    boolean writesIdParts();

    /**
     * What to store for a manifest ({@code snapshots/...}) or index object ({@code index/...}) whose bytes would be
     * {@code content}: the same bytes, or the bytes signed. Unsigned content begins with the sealing transformer's
     * output (the core appends its checksum, never prepends).
     *
     * <p>For a standalone object (archived WAL: {@code wal/...}, see {@code Repository#objectName}) the core calls it
     * with the object's name without its signature and suffix, and empty {@code content}: an empty result means the
     * object is stored unsigned (a repository without writers), anything else is its signature, which the core
     * carries in the object's name and gives back to {@link #open} under the same name.
     */
    byte[] seal(String objectName, byte[] content) throws IOException;

    /**
     * Checks a stored manifest or index object and returns what {@link #seal} was given, with whether it is trusted.
     *
     * @throws com.mintreplica.backup.core.CorruptDataException when it is damaged or its signature does not verify
     * @throws com.mintreplica.backup.core.AccessDeniedException when these keys cannot check it
     */
    Opened open(String objectName, byte[] stored) throws IOException;

    /**
     * What {@link #open} would say now of an object it opened before, told from the {@link Opened#recheck} it gave
     * then instead of the object's bytes: whether its author is still trusted (a writer revoked since is not, unless
     * the revocation kept that object). The core caches what it read from a writer's snapshot with this token and asks
     * again on every later use, so a cached snapshot stops being trusted the moment its writer is. The content of the
     * answer is empty; empty when these keys cannot tell (the object is then read again). Only ever given tokens of
     * objects this keyring opened under that name (the core keeps them sealed in its cache).
     */
    default Optional<Opened> recheck(String objectName, String token) throws IOException {
        return Optional.empty();
    }

    /**
     * The store date from which standalone objects must be signed: when the repository's first writers list was
     * stored (the store's date, not a writer's clock); empty while the repository has no writers. An unsigned
     * standalone object stored since then is not trusted.
     */
    default Optional<java.time.Instant> signedSince() throws IOException {
        return Optional.empty();
    }

    /**
     * The transformer for what every holder of the repository's keys reads and writes, readers and writers alike: lease
     * objects ({@code locks/}) and the id parts of index objects.
     */
    Transformer shared();

    /**
     * Starts a write session: the core holds one for the length of every shared lease (a backup or a copy into the
     * repository) and closes it when the lease ends. A writer seals what it stores in a session under a key it forgets
     * when the session closes.
     */
    Session beginWrite() throws IOException;

    /** Where a writer keeps the local cache that replaces the parent snapshot it cannot read, if anywhere. */
    Optional<ParentCache> parentCache();

    /**
     * What {@link #open} found.
     *
     * @param content what {@link #seal} was given
     * @param author who wrote it, for messages ({@code reader}, or the writer's name and id)
     * @param writer whether a writer (not a reader) wrote it
     * @param untrusted why the object must not be trusted (a snapshot of a revoked writer), or empty
     * @param recheck what {@link AccessControl#recheck} needs to tell later whether a writer's object is still
     *        trusted without reading it again (which writer, and what of the object), or empty when it cannot
     */
    record Opened(byte[] content, String author, boolean writer, Optional<String> untrusted, Optional<String> recheck) {
        public Opened {
            Objects.requireNonNull(content, "content");
            Objects.requireNonNull(author, "author");
            Objects.requireNonNull(untrusted, "untrusted");
            Objects.requireNonNull(recheck, "recheck");
        }

        /** What {@link #open} found, without a token to recheck it by. */
        public Opened(byte[] content, String author, boolean writer, Optional<String> untrusted) {
            this(content, author, writer, untrusted, Optional.empty());
        }

        /** Content a reader wrote, trusted. */
        public static Opened byReader(byte[] content) {
            return new Opened(content, "reader", false, Optional.empty());
        }
    }

    /** A write session; closing it ends it. */
    interface Session extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * A writer's local cache of what it backed up last, per host and source.
     *
     * @param directory where cache files live (e.g. {@code ~/.cache/mint-backup})
     * @param key seals the cache files (AES-GCM), so a changed file is detected and ignored
     */
    record ParentCache(Path directory, SecretKey key) {
        public ParentCache {
            Objects.requireNonNull(directory, "directory");
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "ParentCache[" + directory + ", key ***]";
        }
    }

    /**
     * The access of keys that read everything and sign nothing (every encryption before writers existed): objects are
     * stored as they are, all are trusted, and {@code shared} is the sealing transformer itself.
     */
    static AccessControl readerOnly(Transformer sealing) {
        Objects.requireNonNull(sealing, "sealing");
        return new AccessControl() {
            @Override
            public boolean canRead() {
                return true;
            }

            @Override
            public String describe() {
                return "a reader's key";
            }

            @Override
            public boolean writesIdParts() {
                return false;
            }

            @Override
            public byte[] seal(String objectName, byte[] content) {
                return content;
            }

            @Override
            public Opened open(String objectName, byte[] stored) {
                return Opened.byReader(stored);
            }

            @Override
            public Transformer shared() {
                return sealing;
            }

            @Override
            public Session beginWrite() {
                return () -> {
                };
            }

            @Override
            public Optional<ParentCache> parentCache() {
                return Optional.empty();
            }
        };
    }
}
