package com.mintreplica.backup.crypto;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.encryption.RepositoryEncryption;
import com.mintreplica.backup.core.encryption.RepositoryKeys;
import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.crypto.internal.AesGcmTransformer;
import com.mintreplica.backup.crypto.internal.KeyObject;
import com.mintreplica.backup.crypto.internal.KeyObjects;
import com.mintreplica.backup.crypto.internal.Pgp;
import com.mintreplica.backup.crypto.internal.WriterAccess;
import com.mintreplica.backup.crypto.internal.WritersList;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/** {@link OpenPgpEncryption#writeWith(WriterKey)}: opens a repository with a writer key, for writing only. */
final class WriterEncryption implements RepositoryEncryption {
    private final WriterKey key;
    private final SecureRandom random;

    WriterEncryption(WriterKey key, SecureRandom random) {
        this.key = key;
        this.random = random;
    }

    @Override
    public String scheme() {
        return OpenPgpEncryption.SCHEME;
    }

    @Override
    public boolean writeOnly() {
        return true;
    }

    @Override
    public RepositoryKeys create(Context context) {
        throw new InvalidInputException("a writer key cannot create a repository: " + key + " writes to an existing one."
                + " Create repositories with the recipients' public keys (mint-backup init --encrypt-to KEY.asc)");
    }

    @Override
    public RepositoryKeys unlock(Context context) throws IOException {
        if (!context.repositoryId().equals(key.repositoryId())) {
            throw new AccessDeniedException("the " + key + " does not write to the repository at "
                    + context.sink().describe() + ", whose id is " + context.repositoryId() + ": check the address, or"
                    + " export a writer key from that repository (mint-backup key writer export)");
        }
        checkRecipients(context);
        WritersList writers = WriterAccess.check(context.sink(), context.repositoryId(), key.writerId(), key.name(),
                key.authorityPublic());
        List<PGPPublicKey> encryptTo = new ArrayList<>();
        key.recipientRings().forEach(r -> encryptTo.add(Pgp.encryptionKey(r)));
        WriterAccess access = new WriterAccess(context.sink(), context.repositoryId(), key.writerId(), key.name(),
                key.signingSeed(), key.idKey(), key.authorityPublic(), encryptTo, writers, key.cacheDirectory(), random);
        Transformer sealing;
        if (context.layout() == Layout.CHUNKED) {
            sealing = new AesGcmTransformer(access, random);
        } else {
            OpenPgpMessageFormat format = OpenPgpMessageFormat.fromId(context.extensions()
                    .getOrDefault(OpenPgpEncryption.FORMAT_EXTENSION, OpenPgpMessageFormat.SEIPD_V1.id()));
            OpenPgpTransformer.Builder b = OpenPgpTransformer.builder().format(format).random(random);
            encryptTo.forEach(b::encryptTo);
            key.repositoryKeys().forEach(b::encryptTo);
            sealing = b.build();
        }
        return new RepositoryKeys(sealing, new SecretKeySpec(key.idKey(), "HmacSHA256"), Map.of(), access);
    }

    /**
     * Refuses, naming the difference, unless the repository's recipients (its {@code keys/} objects) are exactly those
     * the writer key was exported with. The writer encrypts only to its own list either way; a difference means the
     * recipients were changed on purpose (export a new writer key) or by someone who can write to the bucket.
     */
    private void checkRecipients(Context context) throws IOException {
        Map<String, String> inRepository = new LinkedHashMap<>();
        for (KeyObject o : KeyObjects.readAll(context.sink(), context.repositoryId())) {
            inRepository.putIfAbsent(o.fingerprint(), o.fingerprint() + (o.userIds().isEmpty() ? "" : " " + o.userIds().get(0)));
        }
        Map<String, String> bound = new LinkedHashMap<>();
        for (PGPPublicKeyRing r : key.recipientRings()) {
            String fingerprint = Pgp.fingerprint(r.getPublicKey());
            List<String> uids = Pgp.userIds(r.getPublicKey());
            bound.put(fingerprint, fingerprint + (uids.isEmpty() ? "" : " " + uids.get(0)));
        }
        TreeSet<String> added = new TreeSet<>(inRepository.keySet());
        added.removeAll(bound.keySet());
        TreeSet<String> removed = new TreeSet<>(bound.keySet());
        removed.removeAll(inRepository.keySet());
        if (added.isEmpty() && removed.isEmpty()) {
            return;
        }
        List<String> changes = new ArrayList<>();
        added.forEach(f -> changes.add("added " + inRepository.get(f)));
        removed.forEach(f -> changes.add("removed " + bound.get(f)));
        throw new AccessDeniedException("the recipients of the repository at " + context.sink().describe()
                + " are not those the " + key + " was exported with (" + String.join("; ", changes) + "): nothing was"
                + " written. A writer encrypts only to the recipients in its key file. If a recipient's key holder changed"
                + " them on purpose (mint-backup key add or remove), export a new writer key and deploy it; otherwise"
                + " someone who can write to the bucket changed keys/: find out who before backing up again");
    }

    @Override
    public String toString() {
        return key.toString();
    }
}
