package com.mintreplica.backup.crypto.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.crypto.OpenPgpMessageFormat;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.bcpg.AEADAlgorithmTags;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSessionKey;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPSignatureSubpacketVector;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.bc.BcSessionKeyDataDecryptorFactory;
import java.util.HexFormat;

/**
 * OpenPGP messages with Bouncy Castle's lightweight API (no JCA provider to register): encrypting to public keys,
 * decrypting with private keys, and reading keys. Messages are SEIPD v1 with MDC (what GnuPG 2.2 reads) unless v6
 * AEAD (RFC 9580, SEIPD v2 with OCB) is asked for.
 */
public final class Pgp {
    private static final int BUFFER = 1 << 16;

    private Pgp() {
    }

    /** The fingerprint of a key, upper-case hex. */
    public static String fingerprint(PGPPublicKey key) {
        return HexFormat.of().withUpperCase().formatHex(key.getFingerprint());
    }

    /** A 64-bit key id as GnuPG prints it (16 upper-case hex digits). */
    public static String keyId(long id) {
        return String.format(Locale.ROOT, "%016X", id);
    }

    public static List<String> userIds(PGPPublicKey primary) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = primary.getUserIDs(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    /**
     * The key of {@code ring} that messages are encrypted to: the newest valid key whose self-signature allows
     * encryption (GnuPG's choice).
     *
     * @throws InvalidInputException when the ring has none
     */
    public static PGPPublicKey encryptionKey(PGPPublicKeyRing ring) {
        PGPPublicKey primary = ring.getPublicKey();
        PGPPublicKey best = null;
        long now = System.currentTimeMillis();
        for (PGPPublicKey key : ring) {
            if (!key.isEncryptionKey() || key.hasRevocation()) {
                continue;
            }
            long valid = key.getValidSeconds();
            if (valid > 0 && key.getCreationTime().getTime() + valid * 1000 < now) {
                continue;
            }
            int flags = keyFlags(key);
            if (flags >= 0 && (flags & (KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE)) == 0) {
                continue;
            }
            if (flags < 0 && key.isMasterKey() && ring.getPublicKeys().hasNext() && countKeys(ring) > 1) {
                continue; // a primary key without flags next to subkeys: prefer the subkeys
            }
            if (best == null || key.getCreationTime().after(best.getCreationTime())) {
                best = key;
            }
        }
        if (best == null) {
            throw new InvalidInputException("the OpenPGP key " + fingerprint(primary) + " " + userIds(primary)
                    + " has no valid encryption key (revoked, expired, or a signing-only key): add an encryption subkey"
                    + " (`gpg --quick-add-key FINGERPRINT cv25519 encr`) or use another key");
        }
        return best;
    }

    private static int countKeys(PGPPublicKeyRing ring) {
        int n = 0;
        for (PGPPublicKey ignored : ring) {
            n++;
        }
        return n;
    }

    /** The key flags of a key's newest self-signature, or -1 when it has none. */
    private static int keyFlags(PGPPublicKey key) {
        int flags = -1;
        long newest = Long.MIN_VALUE;
        for (Iterator<PGPSignature> it = key.getSignatures(); it.hasNext(); ) {
            PGPSignature sig = it.next();
            int type = sig.getSignatureType();
            boolean self = type == PGPSignature.SUBKEY_BINDING || type == PGPSignature.POSITIVE_CERTIFICATION
                    || type == PGPSignature.DEFAULT_CERTIFICATION || type == PGPSignature.CASUAL_CERTIFICATION
                    || type == PGPSignature.DIRECT_KEY;
            PGPSignatureSubpacketVector hashed = sig.getHashedSubPackets();
            if (!self || hashed == null || !hashed.hasSubpacket(org.bouncycastle.bcpg.SignatureSubpacketTags.KEY_FLAGS)) {
                continue;
            }
            if (sig.getCreationTime().getTime() >= newest) {
                newest = sig.getCreationTime().getTime();
                flags = hashed.getKeyFlags();
            }
        }
        return flags;
    }

    /**
     * A stream that encrypts what is written to it, as the literal data of one OpenPGP message to {@code recipients},
     * into {@code out}. Closing it finishes the message and closes {@code out}.
     */
    public static OutputStream encryptor(OutputStream out, Collection<PGPPublicKey> recipients, OpenPgpMessageFormat format,
                                         SecureRandom random) throws IOException {
        BcPGPDataEncryptorBuilder data = new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                .setSecureRandom(random);
        if (format == OpenPgpMessageFormat.SEIPD_V2_AEAD) {
            data.setWithAEAD(AEADAlgorithmTags.OCB, 16).setUseV6AEAD();
        } else {
            data.setWithIntegrityPacket(true);
        }
        PGPEncryptedDataGenerator generator = new PGPEncryptedDataGenerator(data);
        for (PGPPublicKey key : recipients) {
            generator.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(key).setSecureRandom(random));
        }
        OutputStream encrypted;
        try {
            encrypted = generator.open(out, new byte[BUFFER]);
        } catch (PGPException e) {
            throw new IOException("cannot start an OpenPGP message: " + e.getMessage(), e);
        }
        PGPLiteralDataGenerator literal = new PGPLiteralDataGenerator();
        OutputStream plain = literal.open(encrypted, PGPLiteralData.BINARY, "", new Date(), new byte[BUFFER]);
        return new MessageOutputStream(plain, literal, generator, out);
    }

    /** The literal data stream of a message being written; closing it finishes the message and closes the target. */
    private static final class MessageOutputStream extends OutputStream {
        private final OutputStream plain;
        private final PGPLiteralDataGenerator literal;
        private final PGPEncryptedDataGenerator generator;
        private final OutputStream target;
        private boolean closed;

        MessageOutputStream(OutputStream plain, PGPLiteralDataGenerator literal, PGPEncryptedDataGenerator generator,
                            OutputStream target) {
            this.plain = plain;
            this.literal = literal;
            this.generator = generator;
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            plain.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            plain.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                literal.close();
                generator.close();
            } finally {
                target.close();
            }
        }
    }

    /** Encrypts a whole buffer; see {@link #encryptor}. */
    public static byte[] encrypt(byte[] plain, Collection<PGPPublicKey> recipients, OpenPgpMessageFormat format, SecureRandom random)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length + 512);
        try (OutputStream encryptor = encryptor(out, recipients, format, random)) {
            encryptor.write(plain);
        }
        return out.toByteArray();
    }

    /**
     * Thrown when none of the private keys given opens a message: none is a recipient named in it, and none fits a
     * hidden recipient (key id 0). A wrong key, not damaged data: callers report it as access denied.
     */
    public static final class NotARecipientException extends IOException {
        private static final long serialVersionUID = 1L;
        private final List<Long> recipients;
        private final List<Long> tried;

        NotARecipientException(List<Long> recipients, List<Long> tried) {
            super("no secret key given opens the OpenPGP message: " + detail(recipients, tried));
            this.recipients = List.copyOf(recipients);
            this.tried = List.copyOf(tried);
        }

        /** The key ids the message is encrypted to, in its order; 0 for each hidden recipient. */
        public List<Long> recipients() {
            return recipients;
        }

        /** The ids of the keys tried (those named as recipients, or all for a hidden recipient), in the order tried. */
        public List<Long> tried() {
            return tried;
        }

        /** What the message is encrypted to and what was tried; key ids only, never secrets. */
        public String detail() {
            return detail(recipients, tried);
        }

        private static String detail(List<Long> recipients, List<Long> tried) {
            if (recipients.isEmpty()) {
                return "it has no public-key encrypted session key (it may be encrypted with a passphrase only)";
            }
            List<String> named = recipients.stream().filter(id -> id != 0).map(Pgp::keyId).distinct().toList();
            boolean hidden = recipients.contains(0L);
            String hides = "hidden recipients (key id 0, as `gpg --throw-keyids` writes)";
            String to = named.isEmpty() ? "it hides its recipients (key id 0, as `gpg --throw-keyids` writes)"
                    : "it is encrypted to the key ids " + named + (hidden ? " and to " + hides : " only");
            if (!hidden) {
                return to;
            }
            return to + ", and " + (tried.isEmpty() ? "no key was given to try"
                    : "none of the keys tried (" + tried.stream().map(Pgp::keyId).toList() + ") decrypts its session key");
        }
    }

    /**
     * The literal data of the OpenPGP message read from {@code in} (armored or binary, compressed or not), decrypted
     * with whichever of {@code keys} (by key id) it is encrypted to. For a hidden recipient (key id 0, {@code gpg
     * --throw-keyids}) each key is tried in the map's iteration order; a key that does not fit never ends the search,
     * however Bouncy Castle fails on it (a bad checksum, or an unchecked {@code DataLengthException} for an RSA key
     * whose modulus is smaller than the ciphertext, or a {@code ClassCastException} for a key of another algorithm).
     * Only the session key is recovered while trying keys, so no message data is read until the right key is found.
     * Integrity is checked at the end: a changed byte fails the last read with an IOException, never a normal end.
     * Messages without integrity protection are refused. Closing the stream closes {@code in}.
     *
     * @throws NotARecipientException when none of {@code keys} opens the message (a wrong key); any other IOException
     *     means the message is damaged or not an OpenPGP message
     */
    public static InputStream decryptor(InputStream in, Map<Long, PGPPrivateKey> keys) throws IOException {
        try {
            BcPGPObjectFactory factory = new BcPGPObjectFactory(PGPUtil.getDecoderStream(in));
            Object o = factory.nextObject();
            while (o instanceof PGPMarker) {
                o = factory.nextObject();
            }
            if (!(o instanceof PGPEncryptedDataList list)) {
                throw new IOException("not an OpenPGP encrypted message");
            }
            List<Long> recipients = new ArrayList<>();
            Set<Long> tried = new LinkedHashSet<>();
            IOException damaged = null;
            List<Exception> misfits = new ArrayList<>();
            for (PGPEncryptedData d : list) {
                if (!(d instanceof PGPPublicKeyEncryptedData pk)) {
                    continue;
                }
                long id = pk.getKeyIdentifier() != null ? pk.getKeyIdentifier().getKeyId() : pk.getKeyID();
                recipients.add(id);
                Collection<PGPPrivateKey> candidates = id == 0 ? keys.values() // hidden recipient: try each
                        : keys.containsKey(id) ? List.of(keys.get(id)) : List.of();
                for (PGPPrivateKey key : candidates) {
                    tried.add(key.getKeyID());
                    PGPSessionKey sessionKey;
                    try {
                        sessionKey = pk.getSessionKey(new BcPublicKeyDataDecryptorFactory(key));
                    } catch (PGPException | RuntimeException e) {
                        if (id != 0) {
                            // the key named in the packet does not open it: the packet is damaged (or another key has
                            // the same id); another recipient packet may still open the message
                            damaged = new IOException("the session key encrypted to key " + keyId(id)
                                    + " does not decrypt with that key: " + e, e);
                        } else {
                            misfits.add(e); // not this key: try the next
                        }
                        continue;
                    }
                    if (!pk.isIntegrityProtected() && !pk.isAEAD()) {
                        throw new IOException("the message has no integrity protection (no MDC): refusing to decrypt it");
                    }
                    InputStream clear = pk.getDataStream(new BcSessionKeyDataDecryptorFactory(sessionKey));
                    return new Verifying(literal(clear), pk, in);
                }
            }
            if (damaged != null) {
                throw damaged;
            }
            NotARecipientException wrongKeys = new NotARecipientException(recipients, List.copyOf(tried));
            misfits.forEach(wrongKeys::addSuppressed);
            throw wrongKeys;
        } catch (PGPException e) {
            throw new IOException("cannot decrypt the OpenPGP message: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IOException("the OpenPGP message is malformed: " + e, e);
        }
    }

    /** Decrypts a whole buffer; see {@link #decryptor}. */
    public static byte[] decrypt(byte[] message, Map<Long, PGPPrivateKey> keys) throws IOException {
        try (InputStream in = decryptor(new ByteArrayInputStream(message), keys)) {
            return in.readAllBytes();
        }
    }

    /** The key ids a message is encrypted to (0 for a hidden recipient). */
    public static List<Long> recipients(byte[] message) throws IOException {
        try {
            BcPGPObjectFactory factory = new BcPGPObjectFactory(PGPUtil.getDecoderStream(new ByteArrayInputStream(message)));
            Object o = factory.nextObject();
            while (o instanceof PGPMarker) {
                o = factory.nextObject();
            }
            if (!(o instanceof PGPEncryptedDataList list)) {
                throw new IOException("not an OpenPGP encrypted message");
            }
            List<Long> out = new ArrayList<>();
            for (PGPEncryptedData d : list) {
                if (d instanceof PGPPublicKeyEncryptedData pk) {
                    out.add(pk.getKeyIdentifier() != null ? pk.getKeyIdentifier().getKeyId() : pk.getKeyID());
                }
            }
            return out;
        } catch (RuntimeException e) {
            throw new IOException("the OpenPGP message is malformed: " + e, e);
        }
    }

    private static InputStream literal(InputStream clear) throws IOException, PGPException {
        BcPGPObjectFactory factory = new BcPGPObjectFactory(clear);
        Object o = factory.nextObject();
        while (true) {
            if (o instanceof PGPCompressedData compressed) {
                factory = new BcPGPObjectFactory(compressed.getDataStream());
                o = factory.nextObject();
            } else if (o instanceof PGPOnePassSignatureList || o instanceof PGPSignatureList || o instanceof PGPMarker) {
                o = factory.nextObject();
            } else if (o instanceof PGPLiteralData literal) {
                return literal.getInputStream();
            } else {
                throw new IOException("the decrypted message holds no literal data" + (o == null ? "" : " but " + o.getClass().getSimpleName()));
            }
        }
    }

    /** Checks the message's integrity when its literal data ends; closes the raw source. */
    private static final class Verifying extends FilterInputStream {
        private final PGPEncryptedData data;
        private final InputStream source;
        private boolean verified;

        Verifying(InputStream literal, PGPEncryptedData data, InputStream source) {
            super(literal);
            this.data = data;
            this.source = source;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (RuntimeException e) {
                throw new IOException("the OpenPGP message is damaged: " + e, e);
            }
            if (n < 0 && len > 0) {
                verify();
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[8192];
            long skipped = 0;
            while (skipped < n) {
                int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        private void verify() throws IOException {
            if (verified) {
                return;
            }
            try {
                if (!data.isAEAD() && !data.verify()) {
                    throw new IOException("the OpenPGP message fails its integrity check (MDC): it was changed");
                }
                if (data.isAEAD()) {
                    // AEAD chunks are authenticated as they are read; drain what follows the literal data
                    InputStream rest = data.getInputStream();
                    while (rest.read() >= 0) {
                        // the final authentication tag is checked on the way
                    }
                }
            } catch (PGPException | RuntimeException e) {
                throw new IOException("the OpenPGP message fails its integrity check: " + e.getMessage(), e);
            }
            verified = true;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public void close() throws IOException {
            source.close();
        }
    }

    /** ASCII armor, as {@code gpg --armor} writes it. */
    public static String armor(byte[] binary) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(binary.length * 4 / 3 + 128);
        try (ArmoredOutputStream armored = ArmoredOutputStream.builder().clearHeaders().build(out)) {
            armored.write(binary);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** The public part of a secret key ring. */
    public static PGPPublicKeyRing publicRing(PGPSecretKeyRing secret) {
        List<PGPPublicKey> keys = new ArrayList<>();
        secret.getPublicKeys().forEachRemaining(keys::add);
        return new PGPPublicKeyRing(keys);
    }
}
