package com.mintreplica.backup.crypto.internal;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.encryption.AccessControl;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.transform.Transformer;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a reader (a recipient's secret key, unwrapping the repository's data keys) may do and trusts. It reads
 * everything: objects sealed under its data keys, and under writers' session keys, which it unwraps the first time an
 * object names one. It trusts a manifest or index object when:
 * <ul>
 *   <li>it is signed by the repository's authority key (readers sign what they write once the repository has
 *       writers);</li>
 *   <li>it is signed by a writer the writers list names, not revoked, or revoked but keeping exactly this object;</li>
 *   <li>it is unsigned and, in the chunked layout, sealed under a data key (only a reader can do that); in the
 *       single-object layout, written before the repository had writers (the writers list records those).</li>
 * </ul>
 * Any other object is reported as not trusted (a revoked writer's later snapshots); a signature that does not verify is
 * corruption.
 */
public final class ReaderAccess implements AccessControl {
    private static final Logger LOG = LoggerFactory.getLogger(ReaderAccess.class);
    private final Sink sink;
    private final String repositoryId;
    private final Layout layout;
    private final Map<String, DataKey> dataKeys = new LinkedHashMap<>();
    private final DataKey newest;
    private final DataKey shared;
    private final Ed25519 authority;
    private final Map<Long, PGPPrivateKey> privateKeys;
    private final Map<String, DataKey> sessions = new ConcurrentHashMap<>();
    private final AesGcmTransformer.Keys keys;
    private final AesGcmTransformer.Keys sharedKeys;
    private volatile Optional<WritersList> writers;
    private volatile Transformer sealing;
    private final SecureRandom random;

    /**
     * @param dataKeys the repository's data keys, oldest first
     * @param privateKeys the reader's unlocked private keys, which open writers' session keys
     */
    public ReaderAccess(Sink sink, String repositoryId, Layout layout, List<DataKey> dataKeys, byte[] idKey,
                        Map<Long, PGPPrivateKey> privateKeys, SecureRandom random) {
        this(sink, repositoryId, layout, dataKeys, idKey, privateKeys, List.of(), random);
    }

    /**
     * @param sessions writers' session keys this reader's key objects carry (those stored before it was added, whose
     *     {@code sessions/} objects are not encrypted to it)
     */
    public ReaderAccess(Sink sink, String repositoryId, Layout layout, List<DataKey> dataKeys, byte[] idKey,
                        Map<Long, PGPPrivateKey> privateKeys, List<DataKey> sessions, SecureRandom random) {
        sessions.forEach(k -> this.sessions.put(k.idHex(), k));
        this.sink = sink;
        this.repositoryId = repositoryId;
        this.layout = layout;
        dataKeys.forEach(k -> this.dataKeys.put(k.idHex(), k));
        this.newest = dataKeys.get(dataKeys.size() - 1);
        this.shared = DataKey.shared(idKey);
        this.authority = authority(dataKeys.get(0));
        this.privateKeys = Map.copyOf(privateKeys);
        this.random = random;
        this.keys = new AesGcmTransformer.Keys() {
            @Override
            public DataKey current() {
                return newest;
            }

            @Override
            public DataKey find(String idHex) throws IOException {
                DataKey key = ReaderAccess.this.dataKeys.get(idHex);
                return key != null ? key : session(idHex);
            }

            @Override
            public String describe() {
                return ReaderAccess.this.dataKeys.keySet() + " and writers' session keys";
            }
        };
        this.sharedKeys = new AesGcmTransformer.Keys() {
            /**
             * Leases are sealed with the shared key once the repository has writers (they must read them); before,
             * under the data key, as earlier versions of mint-backup do, so that mixed versions still see each other.
             */
            @Override
            public DataKey current() {
                return writesIdParts() ? shared : newest;
            }

            @Override
            public DataKey find(String idHex) throws IOException {
                return idHex.equals(shared.idHex()) ? shared : keys.find(idHex);
            }

            @Override
            public String describe() {
                return "the shared key, " + keys.describe();
            }
        };
    }

    /** The repository's authority key: derived from its first data key, which every reader holds and no writer does. */
    public static Ed25519 authority(DataKey oldest) {
        return Ed25519.fromSeed(DataKey.hkdf(oldest.bytes(), "mint-backup repository authority ed25519"));
    }

    /** The keys of the chunked layout's sealing transformer. */
    public AesGcmTransformer.Keys keys() {
        return keys;
    }

    /** The repository's sealing transformer, once made (single-object layout: leases written before writers). */
    public void sealing(Transformer value) {
        this.sealing = value;
    }

    public Ed25519 authorityKey() {
        return authority;
    }

    /** The writers list in force, read once and again at the start of every write session. */
    public Optional<WritersList> writers() {
        Optional<WritersList> current = writers;
        if (current == null) {
            current = refreshWriters();
        }
        return current;
    }

    public Optional<WritersList> refreshWriters() {
        try {
            writers = WritersList.latest(sink, repositoryId, authority.publicKey());
        } catch (IOException e) {
            throw new com.mintreplica.backup.core.BackupException("cannot read the writers list of " + sink.describe()
                    + ": " + e.getMessage(), e);
        }
        return writers;
    }

    /**
     * Every writer session key of the repository that this reader opens: those its key objects carry and those of the
     * {@code sessions/} objects encrypted to it. A key change wraps them for a recipient it adds, so that the new
     * recipient reads what writers stored before. A session object this reader cannot open is left out with a warning
     * (what it cannot read, it cannot pass on).
     */
    public List<DataKey> sessionKeys() throws IOException {
        List<String> names;
        try (java.util.stream.Stream<com.mintreplica.backup.core.sink.ObjectInfo> listed = sink.list(SessionObject.PREFIX)) {
            names = listed.map(com.mintreplica.backup.core.sink.ObjectInfo::name).sorted().toList();
        }
        for (String name : names) {
            String idHex = name.substring(SessionObject.PREFIX.length());
            try {
                session(idHex);
            } catch (IOException | RuntimeException e) {
                LOG.warn("the session key in '{}' of {} is not passed on: {}", name, sink.describe(), e.getMessage());
            }
        }
        List<DataKey> out = new ArrayList<>(sessions.values());
        out.sort(Comparator.comparing(DataKey::idHex));
        return out;
    }

    private DataKey session(String idHex) throws IOException {
        DataKey known = sessions.get(idHex);
        if (known != null) {
            return known;
        }
        String name = SessionObject.objectName(idHex);
        byte[] stored;
        try (InputStream in = sink.get(name)) {
            stored = in.readAllBytes();
        } catch (NoSuchObjectException e) {
            return null;
        }
        SessionObject.Parsed parsed = SessionObject.parse(name, stored);
        Optional<WritersList.Writer> writer = writers().flatMap(w -> w.writer(parsed.writer()));
        if (writer.isEmpty()) {
            writer = refreshWriters().flatMap(w -> w.writer(parsed.writer()));
        }
        if (writer.isEmpty()) {
            throw new IOException("session key " + idHex + " ('" + name + "') is signed by writer " + parsed.writer()
                    + ", which no writers list of the repository names");
        }
        // A revoked writer's session keys still open its objects: blobs are checked against their ids, and which
        // snapshots are trusted is decided by their manifests' signatures, not by the key their data is sealed under.
        DataKey key = SessionObject.open(name, parsed, repositoryId, writer.get().publicKey(), privateKeys);
        sessions.put(idHex, key);
        return key;
    }

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
        return writers().isPresent();
    }

    @Override
    public byte[] seal(String objectName, byte[] content) {
        boolean manifest = objectName.startsWith("snapshots/");
        if (manifest && layout == Layout.SINGLE) {
            // a single-layout manifest is an OpenPGP message anyone could make: once there are writers, sign it
            refreshWriters();
        } else if (!manifest && !objectName.startsWith("index/") && writers().isEmpty()) {
            // a standalone object (WAL) is too, in either layout: a long-running archiver must not miss the first
            // writer (an unsigned object stored after it is refused); once there are writers there is no going back
            refreshWriters();
        }
        if (writers().isEmpty() || (manifest && layout == Layout.CHUNKED)) {
            // a chunked manifest is sealed under a data key, which proves a reader wrote it: stays readable by
            // earlier versions of mint-backup
            return content;
        }
        return Signatures.signObject(authority, Signatures.AUTHORITY, repositoryId, objectName, content);
    }

    /** Why an object {@code w} signed, stored as bytes of SHA-256 {@code hash}, is not trusted now; empty if it is. */
    private static Optional<String> untrustedNow(WritersList.Writer w, String objectName, String hash) {
        if (w.isRevoked() && !hash.equals(w.kept().get(objectName))) {
            return Optional.of("it was written by " + w.describe() + ", which was revoked on " + w.revoked().get()
                    + ", and it is not among what that writer wrote before");
        }
        return Optional.empty();
    }

    /**
     * From the token {@link #open} gave a writer's object (the writer's id and the SHA-256 of the stored bytes, whose
     * signature it verified then): the same decision on trust as {@code open} would make now, from the writers list
     * this reader holds (read when it first needs one, as {@code open} does).
     */
    @Override
    public Optional<Opened> recheck(String objectName, String token) {
        int colon = token.indexOf(':');
        if (colon <= 0 || colon == token.length() - 1) {
            return Optional.empty();
        }
        String id = token.substring(0, colon);
        String hash = token.substring(colon + 1);
        Optional<WritersList.Writer> writer = writers().flatMap(w -> w.writer(id));
        if (writer.isEmpty()) {
            writer = refreshWriters().flatMap(w -> w.writer(id));
        }
        if (writer.isEmpty()) {
            return Optional.of(new Opened(new byte[0], "unknown writer " + id, true,
                    Optional.of("it is signed by writer " + id + ", which no writers list of the repository names"),
                    Optional.of(token)));
        }
        WritersList.Writer w = writer.get();
        return Optional.of(new Opened(new byte[0], w.describe(), true, untrustedNow(w, objectName, hash),
                Optional.of(token)));
    }

    @Override
    public Opened open(String objectName, byte[] stored) {
        Optional<Signatures.SignedObject> signed = Signatures.parseObject(stored);
        if (signed.isPresent()) {
            Signatures.SignedObject object = signed.get();
            if (object.byAuthority()) {
                if (!Signatures.verifyObject(authority.publicKey(), repositoryId, objectName, object)) {
                    throw new CorruptDataException("'" + objectName + "' in " + sink.describe()
                            + " is corrupt: its signature does not verify with the repository's authority key");
                }
                return Opened.byReader(object.content());
            }
            String id = object.signerHex();
            Optional<WritersList.Writer> writer = writers().flatMap(w -> w.writer(id));
            if (writer.isEmpty()) {
                writer = refreshWriters().flatMap(w -> w.writer(id));
            }
            if (writer.isEmpty()) {
                return new Opened(object.content(), "unknown writer " + id, true,
                        Optional.of("it is signed by writer " + id + ", which no writers list of the repository names"));
            }
            WritersList.Writer w = writer.get();
            if (!Signatures.verifyObject(w.publicKey(), repositoryId, objectName, object)) {
                throw new CorruptDataException("'" + objectName + "' in " + sink.describe() + " is corrupt: its signature"
                        + " does not verify with the key of " + w.describe());
            }
            String hash = Signatures.sha256Hex(stored);
            return new Opened(object.content(), w.describe(), true, untrustedNow(w, objectName, hash),
                    Optional.of(id + ":" + hash));
        }
        if (layout == Layout.CHUNKED) {
            Optional<String> key = AesGcmTransformer.keyIdOf(stored);
            if (key.isPresent() && dataKeys.containsKey(key.get())) {
                return Opened.byReader(stored);
            }
            return new Opened(stored, "unknown", false, Optional.of(key.isPresent()
                    ? "it is not signed, and it is sealed under key " + key.get() + ", which is no data key: only a"
                    + " writer's session key could be, and a writer signs everything it writes"
                    : "it is not signed, and not sealed under a data key"));
        }
        Optional<WritersList> list = writers();
        if (list.isEmpty()) {
            return Opened.byReader(stored);
        }
        String hash = Signatures.sha256Hex(stored);
        if (list.get().unsigned().map(u -> hash.equals(u.get(objectName))).orElse(false)) {
            return Opened.byReader(stored);
        }
        return new Opened(stored, "unknown", false, Optional.of("it is not signed, and it was written after the"
                + " repository got writers (since then readers sign what they write)"));
    }

    private volatile Instant signedSince;
    private volatile long noWritersUntil = System.nanoTime();

    @Override
    public Optional<Instant> signedSince() throws IOException {
        Instant known = signedSince;
        if (known != null) {
            return Optional.of(known);
        }
        if (System.nanoTime() - noWritersUntil < 0) {
            return Optional.empty();
        }
        Optional<Instant> first = WritersList.firstStored(sink, repositoryId, authority.publicKey());
        if (first.isPresent()) {
            signedSince = first.get();
        } else {
            // without writers, every unsigned object is trusted: ask the store again after a while, not per object
            noWritersUntil = System.nanoTime() + 10_000_000_000L;
        }
        return first;
    }

    @Override
    public Transformer shared() {
        Transformer aes = new AesGcmTransformer(sharedKeys, random);
        if (layout == Layout.CHUNKED) {
            return aes;
        }
        return new SharedTransformer(aes, () -> sealing, this::writesIdParts);
    }

    @Override
    public Session beginWrite() {
        refreshWriters();
        return () -> {
        };
    }

    @Override
    public Optional<ParentCache> parentCache() {
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "ReaderAccess[" + repositoryId + "]";
    }

    static void debug(String message, Object... args) {
        LOG.debug(message, args);
    }
}
