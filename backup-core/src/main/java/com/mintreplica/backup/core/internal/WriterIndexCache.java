package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.encryption.AccessControl;
import com.mintreplica.backup.core.sink.ObjectInfo;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A writer's local cache of the id parts of index objects (issue 12): what {@code Store.loadIndex} takes from each
 * index object through write-only keys (its sorted blob ids), so that a backup does not read, verify (Ed25519) and
 * decode every index object again when the listing shows it unchanged.
 *
 * <p>One file per index object, {@code <cache directory>/<repository id>/index/<object hex>}, beside the writer's
 * parent cache and sealed as it is: AES-256-GCM under a key derived from the parent cache key (which only this writer
 * key has), with the repository id and the object's name in the AAD, so that a file copied under another name, from
 * another repository or written by anyone else does not open. The file holds the object's listed size and time (the
 * cache key, with its name), the recheck token its signature was verified with ({@link AccessControl.Opened#recheck}),
 * and the ids. Trust is never cached: the caller asks {@link AccessControl#recheck} with the token on every use, so a
 * writer revoked since stops counting at once. A file that does not open, or is of another version of the object, is
 * ignored (the object is read from the repository and its file rewritten). Written aside and renamed; 0600 in a 0700
 * directory.
 */
final class WriterIndexCache {
    private static final Logger LOG = LoggerFactory.getLogger(WriterIndexCache.class);
    private static final byte[] MAGIC = {'M', 'W', 'I', '1'};
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path directory;
    private final String repositoryId;
    private final SecretKeySpec key;
    private volatile boolean made;
    /** One cipher for every file (a provider look-up per file cost a cold JVM more than the decryption). */
    private Cipher cipher;

    /** What the cache holds of an index object: its ids (sorted, 32 bytes each) and the token to recheck trust by. */
    record Entry(byte[] ids, String token) {
    }

    WriterIndexCache(AccessControl.ParentCache settings, String repositoryId) {
        this.directory = settings.directory().resolve(repositoryId).resolve("index");
        this.repositoryId = repositoryId;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(settings.key());
            // its own key, not the parent cache's: the two kinds of file never open as each other
            this.key = new SecretKeySpec(mac.doFinal("mint-backup writer index cache aes key"
                    .getBytes(StandardCharsets.US_ASCII)), "AES");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot compute HMAC-SHA256 with the cache key", e);
        }
    }

    /** The file of index object {@code name} ({@code index/<hex>}), or null for a name not of that form. */
    Path file(String name) {
        return CacheFiles.indexObjectFile(directory, name);
    }

    private Cipher cipher() throws GeneralSecurityException {
        if (cipher == null) {
            cipher = Cipher.getInstance("AES/GCM/NoPadding");
        }
        return cipher;
    }

    private byte[] aad(String name) {
        return ("mint-backup writer index cache\0" + repositoryId + "\0" + name).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * What the cache holds of the index object {@code info} lists, when it holds that version (same name, size and
     * time); null otherwise, or when the file does not open (logged: the caller reads the object and puts it again).
     */
    synchronized Entry read(ObjectInfo info) {
        Path file = file(info.name());
        if (file == null) {
            return null;
        }
        byte[] sealed = CacheFiles.readIfPresent(file, LOG, "the cached id part");
        if (sealed == null) {
            return null;
        }
        try {
            if (sealed.length < MAGIC.length + NONCE || !Arrays.equals(sealed, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                throw new IOException("not a cached id part of this version");
            }
            Cipher cipher = cipher();
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, MAGIC.length, NONCE));
            cipher.updateAAD(aad(info.name()));
            ByteBuffer in = ByteBuffer.wrap(cipher.doFinal(sealed, MAGIC.length + NONCE,
                    sealed.length - MAGIC.length - NONCE));
            long size = in.getLong();
            Instant time = Instant.ofEpochSecond(in.getLong(), in.getInt());
            int tokenLength = in.getInt();
            if (tokenLength < 0 || tokenLength > in.remaining()) {
                throw new IOException("a token of " + tokenLength + " bytes");
            }
            String token = new String(in.array(), in.position(), tokenLength, StandardCharsets.UTF_8);
            in.position(in.position() + tokenLength);
            if (size != info.size() || !time.equals(info.lastModified())) {
                LOG.debug("the cached id part {} is of another version of '{}'; reading it again", file, info.name());
                return null;
            }
            if (in.remaining() % BlobId.LENGTH != 0) {
                throw new IOException("ids of " + in.remaining() + " bytes");
            }
            return new Entry(Arrays.copyOfRange(in.array(), in.position(), in.limit()), token);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.debug("the cached id part {} is damaged or not this writer's ({}); reading '{}' from the repository",
                    file, e.toString(), info.name());
            return null;
        }
    }

    /** Keeps the ids of the index object {@code info} lists, verified with {@code token}; written aside and renamed. */
    synchronized void put(ObjectInfo info, byte[] ids, String token) {
        Path file = file(info.name());
        if (file == null) {
            return;
        }
        try {
            byte[] tokenBytes = token.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length + tokenBytes.length + 32);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeLong(info.size());
            out.writeLong(info.lastModified().getEpochSecond());
            out.writeInt(info.lastModified().getNano());
            out.writeInt(tokenBytes.length);
            out.write(tokenBytes);
            out.write(ids);
            out.flush();
            byte[] nonce = new byte[NONCE];
            RANDOM.nextBytes(nonce);
            Cipher cipher = cipher();
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(info.name()));
            byte[] sealed = cipher.doFinal(bytes.toByteArray());
            if (!made) {
                Files.createDirectories(directory);
                CacheFiles.trySetPrivate(directory.getParent());
                CacheFiles.trySetPrivate(directory);
                made = true;
            }
            CacheFiles.writeAside(file, ".part-", MAGIC, nonce, sealed); // 0600 where POSIX
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.debug("cannot cache the id part of {}: {}", info.name(), e.toString());
        }
    }

    /** Removes files of index objects not in {@code listed}, and files left half-written (an hour old). */
    void retain(Set<String> listed) {
        CacheFiles.retainIndexObjects(directory, listed, LOG);
    }
}
