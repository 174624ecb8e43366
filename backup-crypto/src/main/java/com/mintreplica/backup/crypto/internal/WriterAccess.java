package com.mintreplica.backup.crypto.internal;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.encryption.AccessControl;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import com.mintreplica.backup.core.transform.Transformer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.HexFormat;

/**
 * What a writer (a writer key file: public material, a signing key and the blob id key) may do. It decrypts nothing
 * stored. It seals each write session's objects under a fresh random session key, which it wraps for the recipients in
 * {@code sessions/<key id>} and forgets when the session ends; it signs every manifest and index object it writes with
 * its own Ed25519 key; it reads only the id parts of index objects signed by the repository's authority key or by a
 * writer the writers list names and has not revoked, so that nobody who can merely write to the bucket can make it
 * skip storing a chunk.
 */
public final class WriterAccess implements AccessControl, AesGcmTransformer.Keys {
    private static final Logger LOG = LoggerFactory.getLogger(WriterAccess.class);
    private final Sink sink;
    private final String repositoryId;
    private final String writerId;
    private final String name;
    private final byte[] signerId;
    private final Ed25519 signer;
    private final byte[] authorityPublic;
    private final List<PGPPublicKey> recipients;
    private final DataKey shared;
    private final Optional<Path> cacheDirectory;
    private final SecureRandom random;
    private volatile WritersList writers;
    private DataKey session;
    private int sessionUsers;

    public WriterAccess(Sink sink, String repositoryId, String writerId, String name, byte[] signingSeed, byte[] idKey,
                        byte[] authorityPublic, List<PGPPublicKey> recipients, WritersList writers,
                        Optional<Path> cacheDirectory, SecureRandom random) {
        this.sink = sink;
        this.repositoryId = repositoryId;
        this.writerId = writerId;
        this.name = name;
        this.signerId = HexFormat.of().parseHex(writerId);
        this.signer = Ed25519.fromSeed(signingSeed);
        this.authorityPublic = authorityPublic.clone();
        this.recipients = List.copyOf(recipients);
        this.shared = DataKey.shared(idKey);
        this.cacheDirectory = cacheDirectory;
        this.random = random;
        this.writers = writers;
        this.cacheKey = new SecretKeySpec(DataKey.hkdf(signingSeed, "mint-backup writer parent cache key"), "HmacSHA256");
    }

    private final SecretKeySpec cacheKey;

    /**
     * Checks that the writers list names this writer and has not revoked it; returns the list.
     *
     * @throws AccessDeniedException when it is revoked or not listed
     */
    public static WritersList check(Sink sink, String repositoryId, String writerId, String name, byte[] authorityPublic) {
        Optional<WritersList> list;
        try {
            list = WritersList.latest(sink, repositoryId, authorityPublic);
        } catch (IOException e) {
            throw new BackupException("cannot read the writers list of " + sink.describe() + ": " + e.getMessage(), e);
        }
        Optional<WritersList.Writer> me = list.flatMap(l -> l.writer(writerId));
        if (me.isEmpty()) {
            throw new AccessDeniedException("the writer key '" + name + "' (" + writerId + ") is not in the writers list of"
                    + " the repository at " + sink.describe() + (list.isEmpty() ? " (it has none, or none that verifies)" : "")
                    + ": readers would not trust its snapshots, so it writes nothing. Export a writer key from this"
                    + " repository (mint-backup key writer export)");
        }
        if (me.get().isRevoked()) {
            throw new AccessDeniedException("the writer key '" + name + "' (" + writerId + ") was revoked on "
                    + me.get().revoked().get() + " in the repository at " + sink.describe() + ": readers reject what it"
                    + " writes now, so it writes nothing. Ask for a new writer key (mint-backup key writer export)");
        }
        return list.get();
    }

    // ---- session keys (AesGcmTransformer.Keys)

    @Override
    public synchronized DataKey current() throws IOException {
        if (session == null) {
            DataKey key = DataKey.generate(random, Instant.now());
            byte[] stored = SessionObject.create(key, repositoryId, writerId, signer, recipients, random);
            String objectName = SessionObject.objectName(key.idHex());
            boolean created;
            if (sink.capabilities().contains(SinkCapability.ATOMIC_CREATE)) {
                created = sink.putIfAbsent(objectName, new ByteArrayInputStream(stored), stored.length, ObjectKind.KEY);
            } else {
                sink.put(objectName, new ByteArrayInputStream(stored), stored.length, ObjectKind.KEY);
                created = true;
            }
            if (!created) {
                throw new IOException("session object '" + objectName + "' exists already");
            }
            LOG.debug("write session {} started in {}", key.idHex(), sink.describe());
            session = key;
        }
        return session;
    }

    @Override
    public DataKey find(String idHex) {
        throw new AccessDeniedException("decrypting needs a reader's key: " + describe() + " only encrypts (the object"
                + " is sealed under key " + idHex + ")");
    }

    private synchronized void end() {
        if (--sessionUsers <= 0) {
            sessionUsers = 0;
            if (session != null) {
                LOG.debug("write session {} ended: its key is forgotten", session.idHex());
                session.destroy();
                session = null;
            }
        }
    }

    // ---- AccessControl

    @Override
    public boolean canRead() {
        return false;
    }

    @Override
    public String describe() {
        return "writer key '" + name + "' (" + writerId + ")";
    }

    @Override
    public boolean writesIdParts() {
        return true;
    }

    @Override
    public byte[] seal(String objectName, byte[] content) {
        return Signatures.signObject(signer, signerId, repositoryId, objectName, content);
    }

    @Override
    public Opened open(String objectName, byte[] stored) {
        Optional<Signatures.SignedObject> signed = Signatures.parseObject(stored);
        if (signed.isEmpty()) {
            return new Opened(stored, "unknown", false, Optional.of("it is not signed"));
        }
        Signatures.SignedObject object = signed.get();
        // A writer cannot repair anything: what it cannot trust it leaves out (and stores those chunks again), so that
        // a planted or damaged object never stops backups. Readers report it (verify). A signature that does not verify
        // with its signer's key is damage, as it is to a reader: the core reads the object again (damage in transit,
        // which a store failing half its requests caused once in a few hundred reads) and leaves it out only if it
        // stays damaged. Taken as untrusted, it was left out at once and its chunks stored again.
        if (object.byAuthority()) {
            if (!Signatures.verifyObject(authorityPublic, repositoryId, objectName, object)) {
                throw new CorruptDataException("'" + objectName + "' in " + sink.describe()
                        + " is corrupt: its signature does not verify with the repository's authority key");
            }
            return new Opened(object.content(), "reader", false, Optional.empty(), Optional.of(AUTHORITY_TOKEN));
        }
        Optional<WritersList.Writer> writer = writers.writer(object.signerHex());
        if (writer.isEmpty()) {
            return new Opened(object.content(), "unknown writer", true,
                    Optional.of("it is signed by writer " + object.signerHex() + ", which the writers list does not name"));
        }
        WritersList.Writer w = writer.get();
        if (!Signatures.verifyObject(w.publicKey(), repositoryId, objectName, object)) {
            throw new CorruptDataException("'" + objectName + "' in " + sink.describe()
                    + " is corrupt: its signature does not verify with the key of " + w.describe());
        }
        if (w.isRevoked()) {
            return new Opened(object.content(), w.describe(), true, Optional.of("it was written by " + w.describe()
                    + ", which was revoked on " + w.revoked().get()));
        }
        return new Opened(object.content(), w.describe(), true, Optional.empty(),
                Optional.of(WRITER_TOKEN + object.signerHex()));
    }

    /** The recheck token of an object the repository's authority key signed (a reader wrote it). */
    private static final String AUTHORITY_TOKEN = "authority";
    /** The prefix of the recheck token of an object a writer signed, followed by that writer's id. */
    private static final String WRITER_TOKEN = "writer:";

    /**
     * From the token {@link #open} gave an object it trusted (who signed it: the authority, or a writer's id, whose key
     * verified the signature then): the decision {@code open} would make now, from the writers list this writer holds
     * (read again at every {@link #beginWrite}, so during a backup the one read under its lease). The object's bytes
     * are not in the token, unlike a reader's ({@code ReaderAccess}, which keeps what a revoked writer wrote before its
     * revocation by the hash of its bytes): a writer trusts nothing a revoked writer signed, so nothing in its decision
     * depends on which bytes were signed, only on who signed them; and the token comes from the writer's own sealed
     * cache, bound there to the object's name, listed size and time (names of index objects are hashes of their
     * content), beside the very ids that were verified.
     */
    @Override
    public Optional<Opened> recheck(String objectName, String token) {
        if (token.equals(AUTHORITY_TOKEN)) {
            return Optional.of(new Opened(new byte[0], "reader", false, Optional.empty(), Optional.of(token)));
        }
        if (!token.startsWith(WRITER_TOKEN) || token.length() == WRITER_TOKEN.length()) {
            return Optional.empty();
        }
        String id = token.substring(WRITER_TOKEN.length());
        Optional<WritersList.Writer> writer = writers.writer(id);
        if (writer.isEmpty()) {
            return Optional.of(new Opened(new byte[0], "unknown writer", true,
                    Optional.of("it is signed by writer " + id + ", which the writers list does not name"),
                    Optional.of(token)));
        }
        WritersList.Writer w = writer.get();
        if (w.isRevoked()) {
            return Optional.of(new Opened(new byte[0], w.describe(), true, Optional.of("it was written by "
                    + w.describe() + ", which was revoked on " + w.revoked().get()), Optional.of(token)));
        }
        return Optional.of(new Opened(new byte[0], w.describe(), true, Optional.empty(), Optional.of(token)));
    }

    private volatile Instant signedSince;

    @Override
    public Optional<Instant> signedSince() throws IOException {
        Instant known = signedSince;
        if (known == null) {
            known = WritersList.firstStored(sink, repositoryId, authorityPublic).orElse(Instant.EPOCH);
            signedSince = known;
        }
        return Optional.of(known);
    }

    @Override
    public Transformer shared() {
        return new AesGcmTransformer(AesGcmTransformer.fixed(List.of(shared)), random);
    }

    @Override
    public synchronized Session beginWrite() {
        // Revoked since this repository was opened? Then stop before writing anything more.
        writers = check(sink, repositoryId, writerId, name, authorityPublic);
        sessionUsers++;
        return this::end;
    }

    @Override
    public Optional<ParentCache> parentCache() {
        return cacheDirectory.map(dir -> new ParentCache(dir, cacheKey));
    }

    @Override
    public String toString() {
        return describe();
    }
}
