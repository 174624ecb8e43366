package com.mintreplica.backup.crypto;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.json.JsonTree;
import com.mintreplica.backup.crypto.internal.Ed25519;
import com.mintreplica.backup.crypto.internal.Pgp;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A writer key: what a backup host needs to add snapshots to one encrypted repository without being able to read it
 * (Tarsnap's write-only key files, with deduplication kept). Exported once by someone holding a recipient's secret key
 * ({@link KeyManager#exportWriter}, CLI {@code mint-backup key writer export}); loaded on the host with
 * {@link #load(Path)} and used with {@link OpenPgpEncryption#writeWith(WriterKey)}:
 *
 * <pre>{@code
 * WriterKey writer = WriterKey.load(Path.of("/etc/mint-backup/writer.key"));
 * try (Repository repo = Repository.open(sink, OpenPgpEncryption.writeWith(writer))) {
 *     Backup.pipeline().source(source).to(repo).build().run();   // no secret key, no passphrase
 * }
 * }</pre>
 *
 * <p>It holds: the repository's id; the recipients' public keys (it encrypts only to them, and refuses to back up when
 * the recipients in the repository differ); the key that names blobs (so chunks deduplicate; it lets its holder test
 * whether a chunk it knows is stored); the writer's own Ed25519 signing key (readers trust its snapshots while it is not
 * revoked); the repository's authority public key (to check the writers list and index objects). It holds no data key
 * and no recipient's secret key: it decrypts nothing stored, not even what it wrote itself once a run has ended.
 * Keep it like an SSH private key: mode 0600, never in a repository, a ticket or a log. Its {@link #toString()} names
 * it and never shows key material.
 */
public final class WriterKey {
    private static final Logger LOG = LoggerFactory.getLogger(WriterKey.class);
    static final String FORMAT = "mint-backup writer key";

    private final String repositoryId;
    private final String writerId;
    private final String name;
    private final Instant created;
    private final String layout;
    private final byte[] idKey;
    private final byte[] signingSeed;
    private final byte[] authorityPublic;
    private final List<PGPPublicKeyRing> recipients;
    private final List<PGPPublicKey> repositoryKeys;
    private final Optional<Path> cacheDirectory;
    private final boolean cache;

    WriterKey(String repositoryId, String writerId, String name, Instant created, String layout, byte[] idKey,
              byte[] signingSeed, byte[] authorityPublic, List<PGPPublicKeyRing> recipients,
              List<PGPPublicKey> repositoryKeys, Optional<Path> cacheDirectory, boolean cache) {
        this.repositoryId = repositoryId;
        this.writerId = writerId;
        this.name = name;
        this.created = created;
        this.layout = layout;
        this.idKey = idKey.clone();
        this.signingSeed = signingSeed.clone();
        this.authorityPublic = authorityPublic.clone();
        this.recipients = List.copyOf(recipients);
        this.repositoryKeys = List.copyOf(repositoryKeys);
        this.cacheDirectory = cacheDirectory;
        this.cache = cache;
    }

    /**
     * Reads a writer key file. Warns when others than its owner may read it.
     *
     * @throws NotFoundException when it does not exist; {@link InvalidInputException} when it is not a writer key
     */
    public static WriterKey load(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                LOG.warn("the writer key {} can be read by others than its owner ({}): chmod 600 it, as an SSH key", file,
                        PosixFilePermissions.toString(permissions));
            }
        } catch (UnsupportedOperationException | IOException notPosix) {
            // checked below when it is read
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new NotFoundException("the writer key file " + file + " does not exist");
        } catch (IOException e) {
            throw new AccessDeniedException("cannot read the writer key file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a writer key from {@code in}; {@code what} names the source in messages. */
    public static WriterKey read(InputStream in, String what) {
        byte[] bytes;
        try {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new AccessDeniedException("cannot read the writer key " + what + ": " + e.getMessage(), e);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        int start = text.indexOf('{');
        if (start < 0) {
            throw new InvalidInputException(what + " is not a mint-backup writer key: export one with"
                    + " `mint-backup key writer export --repo R --key SECRET.asc --name NAME --out writer.key`");
        }
        try {
            Map<String, Object> m = JsonTree.parseObject(text.substring(start).getBytes(StandardCharsets.UTF_8));
            if (!FORMAT.equals(m.get("format"))) {
                throw new IOException("it is not a writer key");
            }
            if (!(m.get("version") instanceof Long v) || v != 1) {
                throw new IOException("it has version " + m.get("version") + ", which this mint-backup does not read: upgrade it");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> writer = (Map<String, Object>) m.get("writer");
            Base64.Decoder b64 = Base64.getDecoder();
            List<PGPPublicKeyRing> rings = new ArrayList<>();
            for (Object r : JsonTree.list(m, "recipients")) {
                rings.add(new PGPPublicKeyRing(PGPUtil.getDecoderStream(new ByteArrayInputStream(
                        String.valueOf(r).getBytes(StandardCharsets.US_ASCII))), new BcKeyFingerprintCalculator()));
            }
            List<PGPPublicKey> repoKeys = new ArrayList<>();
            for (Object r : JsonTree.list(m, "repositoryKeys")) {
                // a bare public key packet: the repository's own key has no user id and no self-signature
                org.bouncycastle.bcpg.Packet packet = new org.bouncycastle.bcpg.BCPGInputStream(
                        new ByteArrayInputStream(b64.decode(String.valueOf(r)))).readPacket();
                if (!(packet instanceof org.bouncycastle.bcpg.PublicKeyPacket key)) {
                    throw new IOException("a repository key in it is not a public key");
                }
                repoKeys.add(new PGPPublicKey(key, new BcKeyFingerprintCalculator()));
            }
            if (rings.isEmpty()) {
                throw new IOException("it names no recipient");
            }
            byte[] idKey = b64.decode(JsonTree.string(m, "idKey"));
            byte[] seed = b64.decode(JsonTree.string(m, "signingKey"));
            byte[] authority = b64.decode(JsonTree.string(m, "authority"));
            if (idKey.length != 32 || seed.length != Ed25519.SEED || authority.length != Ed25519.PUBLIC) {
                throw new IOException("a key in it has the wrong length");
            }
            return new WriterKey(JsonTree.string(m, "repository"), JsonTree.string(writer, "id"), JsonTree.string(writer, "name"),
                    Instant.parse(JsonTree.string(writer, "created")), JsonTree.string(m, "layout"), idKey, seed, authority, rings, repoKeys,
                    Optional.empty(), true);
        } catch (IOException | RuntimeException | org.bouncycastle.openpgp.PGPException e) {
            throw new InvalidInputException(what + " is not a valid mint-backup writer key: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the key to a new file readable by its owner only (0600), the way an SSH key is kept.
     *
     * @throws com.mintreplica.backup.core.ConflictException when the file exists: a writer key is never overwritten
     */
    public void write(Path file) {
        byte[] bytes = toBytes();
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            OutputStream out;
            try {
                out = Files.newOutputStream(Files.createFile(file, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------"))), StandardOpenOption.WRITE);
            } catch (UnsupportedOperationException notPosix) {
                out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            }
            try (OutputStream o = out) {
                o.write(bytes);
            }
        } catch (FileAlreadyExistsException e) {
            throw new com.mintreplica.backup.core.ConflictException("the file " + file + " exists already: a writer key is"
                    + " never written over another file; choose another --out, or remove the old one");
        } catch (IOException e) {
            throw new AccessDeniedException("cannot write the writer key to " + file + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Base64.Encoder b64 = Base64.getEncoder();
        String header = "# mint-backup writer key '" + name + "' (" + writerId + ") for repository " + repositoryId
                + ", exported " + created + ".\n"
                + "# It lets a backup host add snapshots to that repository with public material only: it holds no data key\n"
                + "# and no recipient's secret key, and decrypts nothing stored. It holds a signing key and the key that names\n"
                + "# chunks: keep it like an SSH private key (mode 0600; never in a repository, a ticket or a log).\n"
                + "# Revoke it with `mint-backup key writer revoke --repo R --key SECRET.asc " + writerId + "`.\n";
        out.writeBytes(header.getBytes(StandardCharsets.UTF_8));
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeNumberField("version", 1);
            g.writeStringField("repository", repositoryId);
            g.writeStringField("layout", layout);
            g.writeObjectFieldStart("writer");
            g.writeStringField("id", writerId);
            g.writeStringField("name", name);
            g.writeStringField("created", created.toString());
            g.writeEndObject();
            g.writeStringField("idKey", b64.encodeToString(idKey));
            g.writeStringField("signingKey", b64.encodeToString(signingSeed));
            g.writeStringField("authority", b64.encodeToString(authorityPublic));
            g.writeArrayFieldStart("recipients");
            for (PGPPublicKeyRing r : recipients) {
                g.writeString(Pgp.armor(r.getEncoded()));
            }
            g.writeEndArray();
            g.writeArrayFieldStart("repositoryKeys");
            for (PGPPublicKey k : repositoryKeys) {
                g.writeString(b64.encodeToString(k.getEncoded()));
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    /**
     * This key with its parent cache in {@code directory} (default {@code ~/.cache/mint-backup}; the CLI uses
     * {@code $XDG_CACHE_HOME/mint-backup} when that is set). The cache lets a backup skip reading unchanged files.
     */
    public WriterKey withCacheDirectory(Path directory) {
        return new WriterKey(repositoryId, writerId, name, created, layout, idKey, signingSeed, authorityPublic, recipients,
                repositoryKeys, Optional.of(directory), true);
    }

    /** This key without a parent cache: every backup reads every file (and still stores only what is new). */
    public WriterKey withoutCache() {
        return new WriterKey(repositoryId, writerId, name, created, layout, idKey, signingSeed, authorityPublic, recipients,
                repositoryKeys, Optional.empty(), false);
    }

    /** The id of the repository this key writes to. */
    public String repositoryId() {
        return repositoryId;
    }

    /** The writer's id (32 hex digits), as the writers list and {@code key writer revoke} name it. */
    public String writerId() {
        return writerId;
    }

    /** The name given at export (a host name, usually). */
    public String name() {
        return name;
    }

    public Instant created() {
        return created;
    }

    /** The recipients this writer encrypts to. */
    public List<OpenPgpPublicKey> recipients() {
        return recipients.stream().map(OpenPgpPublicKey::of).toList();
    }

    /** The fingerprints of {@link #recipients()}. */
    public List<String> recipientFingerprints() {
        return recipients.stream().map(r -> Pgp.fingerprint(r.getPublicKey())).toList();
    }

    // ---- for OpenPgpEncryption

    String layout() {
        return layout;
    }

    byte[] idKey() {
        return idKey.clone();
    }

    byte[] signingSeed() {
        return signingSeed.clone();
    }

    byte[] authorityPublic() {
        return authorityPublic.clone();
    }

    List<PGPPublicKeyRing> recipientRings() {
        return recipients;
    }

    List<PGPPublicKey> repositoryKeys() {
        return repositoryKeys;
    }

    Optional<Path> cacheDirectory() {
        if (!cache) {
            return Optional.empty();
        }
        return cacheDirectory.or(() -> Optional.of(Path.of(System.getProperty("user.home"), ".cache", "mint-backup")));
    }

    @Override
    public String toString() {
        return "writer key '" + name + "' (" + writerId + ") for repository " + repositoryId;
    }
}
