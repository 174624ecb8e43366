package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.encryption.AccessControl;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.SourceId;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.CipherOutputStream;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A writer's local stand-in for the parent snapshot it cannot read (restic keeps a cache under {@code ~/.cache/restic}
 * for other reasons). After each backup a writer commits, it stores, per host and source, what it needs to skip
 * reading unchanged files next time: each regular file's path, change token, size and (keyed) blob ids. Nothing
 * else: no content, no name that is not the host's own, nothing a reader's key protects.
 *
 * <p>One file per repository, host and source, named by an HMAC of them under the cache key; sealed with AES-256-GCM
 * under the cache key (which only the writer key holds), bound to its name. A missing, damaged or foreign cache file
 * is ignored: the files are read again, never trusted. Even a valid cache never makes a snapshot wrong, because a
 * backup reuses a cached file's blobs only when every one of them is in the repository's authenticated id set.
 */
public final class ParentCache {
    private static final Logger LOG = LoggerFactory.getLogger(ParentCache.class);
    private static final byte[] MAGIC = {'M', 'B', 'C', '1'};
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final AccessControl.ParentCache settings;
    private final String repositoryId;

    public ParentCache(AccessControl.ParentCache settings, String repositoryId) {
        this.settings = settings;
        this.repositoryId = repositoryId;
    }

    /** The cache file of {@code host} and {@code source}. */
    Path file(String host, SourceId source) {
        String key = "mint-backup parent cache\0" + repositoryId + "\0" + host + "\0" + source.kind() + "\0" + source.name();
        byte[] mac = hmac(key.getBytes(StandardCharsets.UTF_8));
        return settings.directory().resolve(repositoryId).resolve(Hex.encode(Arrays.copyOf(mac, 16)));
    }

    /** What the last backup of {@code host} and {@code source} stored, as a parent manifest; empty when unknown. */
    public Optional<Manifest> load(String host, SourceId source) {
        Path file = file(host, source);
        byte[] sealed;
        try {
            sealed = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.warn("cannot read the parent cache {}: {}; every file is read again", file, e.toString());
            return Optional.empty();
        }
        try {
            return Optional.of(parse(open(file, sealed), host, source));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.warn("the parent cache {} is damaged or not this writer's ({}); every file is read again", file, e.toString());
            return Optional.empty();
        }
    }

    /** Replaces the cache of the manifest's host and source with its regular files. */
    public void save(Manifest manifest) {
        if (manifest.layout() != Layout.CHUNKED) {
            return;
        }
        Snapshot s = manifest.snapshot();
        Path file = file(s.host(), s.source());
        try {
            Path dir = file.getParent();
            createPrivateDirectories(dir);
            Path temp = dir.resolve(file.getFileName() + ".tmp-" + Long.toHexString(RANDOM.nextLong()));
            // Sealed as it is written: the plaintext (about 100 bytes a file) is never a whole array, nor its
            // ciphertext a second and a third (with 200,000 files those three arrays, 75 MiB, beside the manifest
            // made an unchanged writer backup run out of a 256 MiB heap).
            try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writePlaintext(manifest, sealing(file, out));
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                Files.deleteIfExists(temp);
                throw e;
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // The snapshot is committed; without a cache the next backup reads every file again.
            LOG.warn("cannot write the parent cache {}: {}; the next backup reads every file again", file, e.toString());
        }
    }

    private static void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null) {
            createPrivateDirectories(parent);
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            // another process made it
        } catch (UnsupportedOperationException notPosix) {
            Files.createDirectories(dir);
        }
    }

    private static void writePlaintext(Manifest manifest, OutputStream sealed) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(sealed, 64 * 1024))) {
            Snapshot s = manifest.snapshot();
            out.writeUTF(s.id());
            out.writeLong(s.time().getEpochSecond());
            List<Manifest.Item> items = new ArrayList<>();
            for (Manifest.Item item : manifest.items()) {
                if (item.entry().type() == EntryType.REGULAR && item.entry().changeToken().isPresent()) {
                    items.add(item);
                }
            }
            out.writeInt(items.size());
            for (Manifest.Item item : items) {
                writeString(out, item.entry().path());
                writeString(out, item.entry().changeToken().get());
                out.writeLong(item.size());
                out.writeInt(item.blobs().size());
                for (BlobId id : item.blobs()) {
                    out.write(id.bytes());
                }
            }
        }
    }

    private static Manifest parse(byte[] plain, String host, SourceId source) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain))) {
            String id = in.readUTF();
            Instant time = Instant.ofEpochSecond(in.readLong());
            int count = in.readInt();
            List<Manifest.Item> items = new ArrayList<>(Math.min(count, 1 << 20));
            for (int i = 0; i < count; i++) {
                String path = readString(in);
                String token = readString(in);
                long size = in.readLong();
                int blobs = in.readInt();
                List<BlobId> ids = new ArrayList<>(Math.min(blobs, 1 << 16));
                for (int j = 0; j < blobs; j++) {
                    byte[] b = new byte[BlobId.LENGTH];
                    in.readFully(b);
                    ids.add(BlobId.wrap(b));
                }
                Entry entry = Entry.builder(path, EntryType.REGULAR).size(size).changeToken(token).build();
                items.add(Manifest.Item.chunked(entry, size, ids));
            }
            if (in.read() >= 0) {
                throw new IOException("trailing bytes");
            }
            Snapshot snapshot = new Snapshot(id, time, host, source, Optional.empty(), Set.of(), Optional.empty(),
                    new Snapshot.Stats(items.size(), 0, 0, 0, 0, 0), Map.of(), List.of(), "");
            return new Manifest(snapshot, Layout.CHUNKED, items);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > (1 << 20)) {
            throw new IOException("bad string length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Writes the header (magic, nonce) and returns the stream that encrypts what follows; closing it adds the tag. */
    private OutputStream sealing(Path file, OutputStream out) throws GeneralSecurityException, IOException {
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, aesKey(), new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(aad(file));
        out.write(MAGIC);
        out.write(nonce);
        return new CipherOutputStream(out, cipher);
    }

    private byte[] open(Path file, byte[] stored) throws GeneralSecurityException, IOException {
        if (stored.length < MAGIC.length + NONCE || !Arrays.equals(stored, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IOException("not a mint-backup cache file");
        }
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, aesKey(),
                new GCMParameterSpec(TAG_BITS, stored, MAGIC.length, NONCE));
        cipher.updateAAD(aad(file));
        return cipher.doFinal(stored, MAGIC.length + NONCE, stored.length - MAGIC.length - NONCE);
    }

    private byte[] aad(Path file) {
        return ("mint-backup parent cache\0" + repositoryId + "\0" + file.getFileName()).getBytes(StandardCharsets.UTF_8);
    }

    private javax.crypto.spec.SecretKeySpec aesKey() {
        return new javax.crypto.spec.SecretKeySpec(Arrays.copyOf(hmac("mint-backup parent cache aes key"
                .getBytes(StandardCharsets.US_ASCII)), 32), "AES");
    }

    private byte[] hmac(byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(settings.key());
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot compute HMAC-SHA256 with the cache key", e);
        }
    }
}
