package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.internal.BlobId;
import com.mintreplica.backup.core.internal.Envelope;
import com.mintreplica.backup.core.internal.IndexFile;
import com.mintreplica.backup.core.internal.Manifest;
import com.mintreplica.backup.core.internal.ManifestFormat;
import com.mintreplica.backup.core.internal.Packs;
import com.mintreplica.backup.core.internal.RepoConfig;
import com.mintreplica.backup.core.internal.RestoreRun;
import com.mintreplica.backup.core.internal.Store;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.core.transform.Transformers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every object of the repository format, damaged in every way a store or a disk damages it (cut at every length from
 * 0 to n-1, one bit flipped at every position, the lowest and the highest bit; in the blob area of packs and in
 * single-layout content objects, every position of the first and last 64 bytes and about 400 spread over the rest), is
 * refused by its reader with a {@link CorruptDataException} that names the object: never another exception, never a
 * silently different result.
 * Run for each kind of chain (zstd, gzip, none, and a sealing transformer standing in for encryption) and both layouts.
 * The objects are read from a real repository on a local directory, through the same calls a restore, list or verify
 * makes.
 *
 * <p>The inner codecs (the JSON of a manifest, the binary index and pack header) are also fed damaged plaintext
 * directly: there the envelope or the pack's name is what detects a changed byte, so a plausible different value is
 * allowed, but nothing other than {@link CorruptDataException} may ever come out (no ArrayIndexOutOfBounds,
 * NegativeArraySize, IllegalArgument or OutOfMemoryError from a length read from damaged bytes).
 */
@Timeout(600)
class CodecCorruptionTest {
    static final Instant T1 = Instant.parse("2026-03-01T01:00:00Z");
    static final Instant T2 = Instant.parse("2026-03-02T01:00:00Z");
    static final byte[] FLIPS = {0x01, (byte) 0x80};

    @TempDir
    Path dir;

    enum Chain {
        ZSTD, GZIP, NONE, SEALED;

        List<Transformer> transformers() {
            return switch (this) {
                case ZSTD -> List.of(Transformers.zstd());
                case GZIP -> List.of(Transformers.gzip());
                case NONE, SEALED -> List.of();
            };
        }
    }

    /** A repository made with {@code chain} and {@code layout}, two snapshots in it, and a way to read it again. */
    final class Fixture {
        final Path root;
        final DamagingSink sink;
        final EncryptedPruneTest.AesGcmEncryption encryption;
        final List<String> snapshots = new ArrayList<>();

        Fixture(Chain chain, Layout layout) {
            root = dir.resolve(chain + "-" + layout);
            sink = new DamagingSink(new LocalDirectorySink(root, false));
            RepositorySettings settings = RepositorySettings.defaults().withLayout(layout).withTransformers(chain.transformers())
                    .withChunkSizes(1024, 4096, 16 * 1024).withPackSize(16 * 1024);
            encryption = chain == Chain.SEALED ? new EncryptedPruneTest.AesGcmEncryption() : null;
            try (Repository repo = encryption == null ? Repository.init(sink, settings) : Repository.init(sink, settings, encryption)) {
                for (Instant t : List.of(T1, T2)) {
                    snapshots.add(Backup.pipeline().source(new RichSource(t == T2)).to(repo).host("h").tags("t")
                            .time(t).parallelism(1).build().run().snapshot().id());
                }
            }
        }

        Store store() {
            return Store.open(sink, encryption);
        }

        List<String> objects(String prefix) {
            try (Stream<ObjectInfo> all = sink.list(prefix)) {
                return all.map(ObjectInfo::name).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        byte[] read(String name) {
            try (InputStream in = sink.get(name)) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Serves each damaged version of object {@code name} in turn, runs {@code reader}, and serves the original again. */
        void damage(String name, Runnable reader, List<String> failures) {
            byte[] original = read(name);
            try {
                forEachDamage(original, (what, damaged) -> {
                    sink.damage(name, damaged);
                    expectCorrupt(name, what, reader, failures);
                });
            } finally {
                sink.damage(null, null);
            }
            reader.run(); // the undamaged object reads again: the reader itself works
        }
    }

    /**
     * The repository's real Sink, except that one object can be served damaged: a store or a disk that returns other
     * bytes than were written. (Cheaper than rewriting the file thousands of times on a busy machine.)
     */
    static final class DamagingSink extends ForwardingSink {
        private volatile String name;
        private volatile byte[] bytes;

        DamagingSink(Sink sink) {
            super(sink);
        }

        void damage(String object, byte[] content) {
            this.bytes = content;
            this.name = object;
        }

        @Override
        public InputStream get(String object) throws IOException {
            return object.equals(name) ? new ByteArrayInputStream(bytes) : super.get(object);
        }

        @Override
        public InputStream get(String object, long offset, long length) throws IOException {
            if (!object.equals(name)) {
                return super.get(object, offset, length);
            }
            int from = (int) Math.min(offset, bytes.length);
            return new ByteArrayInputStream(bytes, from, (int) Math.min(length, bytes.length - from));
        }

        @Override
        public Optional<ObjectInfo> stat(String object) throws IOException {
            Optional<ObjectInfo> info = super.stat(object);
            return object.equals(name) ? info.map(i -> new ObjectInfo(object, bytes.length, i.lastModified())) : info;
        }
    }

    interface DamageConsumer {
        void accept(String what, byte[] damaged);
    }

    /** Every truncation and every position flipped. */
    static void forEachDamage(byte[] original, DamageConsumer consumer) {
        forEachDamage(original, 0, original.length, consumer);
    }

    /**
     * Truncations and flips at every position of {@code [denseFrom, denseTo)} and of the first and last 64 bytes, and
     * at about 400 positions spread over the rest (large content objects, where each read decodes everything).
     */
    static void forEachDamage(byte[] original, int denseFrom, int denseTo, DamageConsumer consumer) {
        int step = Math.max(1, original.length / 400);
        java.util.function.IntPredicate dense = i -> i < 64 || original.length - i <= 64 || (i >= denseFrom && i < denseTo);
        for (int n = 0; n < original.length; n++) {
            if (dense.test(n) || n % step == 0) {
                consumer.accept("truncated to " + n + " of " + original.length + " bytes", Arrays.copyOf(original, n));
            }
        }
        for (int i = 0; i < original.length; i++) {
            if (dense.test(i) || i % step == 0) {
                for (byte flip : FLIPS) {
                    byte[] damaged = original.clone();
                    damaged[i] ^= flip;
                    consumer.accept(String.format("byte %d of %d xor 0x%02x", i, original.length, flip & 0xff), damaged);
                }
            }
        }
    }

    static void expectCorrupt(String name, String what, Runnable reader, List<String> failures) {
        try {
            reader.run();
            failures.add(name + " " + what + ": read without an error");
        } catch (CorruptDataException e) {
            if (!e.getMessage().contains(name)) {
                failures.add(name + " " + what + ": the error does not name the object: " + e.getMessage());
            }
        } catch (Throwable t) {
            failures.add(name + " " + what + ": " + t);
        }
    }

    static void assertNoFailures(List<String> failures) {
        assertThat(failures).as("%d damaged objects were not refused as corrupt; the first: %s", failures.size(),
                failures.stream().limit(20).toList()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Chain.class)
    void every_damaged_metadata_object_of_a_chunked_repository_is_refused_and_named(Chain chain) {
        Fixture f = new Fixture(chain, Layout.CHUNKED);
        List<String> failures = new ArrayList<>();
        f.damage(RepoConfig.OBJECT, f::store, failures);
        for (String id : f.snapshots) {
            String name = Manifest.objectName(id);
            Store store = f.store();
            f.damage(name, () -> store.manifest(id), failures);
            f.damage(name, store::snapshots, failures);
        }
        List<String> index = f.objects(IndexFile.PREFIX);
        assertThat(index).hasSize(2);
        for (String name : index) {
            Store store = f.store();
            f.damage(name, store::reloadIndex, failures);
        }
        assertNoFailures(failures);
    }

    /**
     * A pack is read as a restore reads it: its header (which must hash to the pack's name) and every blob, decoded and
     * checked against its id. A changed byte in the header or trailer is refused whatever the chain. A changed byte in
     * a blob is refused unless the blob still decodes to exactly its content: bytes of a codec's framing that do not
     * take part in the result (gzip's header time and OS fields, zstd's window descriptor) cannot change what is
     * restored, so they are allowed to pass; any other result is a failure.
     */
    @ParameterizedTest
    @EnumSource(Chain.class)
    void every_damaged_pack_is_refused_and_named_unless_its_blobs_still_decode_to_their_content(Chain chain) {
        Fixture f = new Fixture(chain, Layout.CHUNKED);
        Store store = f.store();
        List<String> packs = f.objects(Packs.PREFIX);
        assertThat(packs).hasSizeGreaterThan(2);
        List<String> failures = new ArrayList<>();
        for (String name : packs) {
            BlobId packId = Packs.idOf(name);
            byte[] original = f.read(name);
            byte[] content = readPack(store, name, packId, original);
            int headerLength = java.nio.ByteBuffer.wrap(original, original.length - 8, 4).getInt();
            forEachDamage(original, original.length - 8 - headerLength, original.length, (what, damaged) ->
                    expectCorruptOrSame(name, what, () -> readPack(store, name, packId, damaged), content, failures));
        }
        assertNoFailures(failures);
    }

    /** What reading a pack gives: per blob in header order its id, location, plain length and checked content. */
    static byte[] readPack(Store store, String name, BlobId packId, byte[] pack) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Packs.PackedBlob b : Packs.parse(packId, pack, store.codec())) {
            var at = b.location();
            out.writeBytes(b.id().bytes());
            out.writeBytes(java.nio.ByteBuffer.allocate(12).putInt(at.offset()).putInt(at.length()).putInt(at.plainLength()).array());
            out.writeBytes(store.decodeBlob(b.id(), name, Arrays.copyOfRange(pack, at.offset(), at.offset() + at.length()),
                    at.plainLength()));
        }
        return out.toByteArray();
    }

    static void expectCorruptOrSame(String name, String what, java.util.function.Supplier<byte[]> reader, byte[] expected,
                                    List<String> failures) {
        try {
            if (!Arrays.equals(reader.get(), expected)) {
                failures.add(name + " " + what + ": read without an error, and gave another result");
            }
        } catch (CorruptDataException e) {
            if (!e.getMessage().contains(name)) {
                failures.add(name + " " + what + ": the error does not name the object: " + e.getMessage());
            }
        } catch (Throwable t) {
            failures.add(name + " " + what + ": " + t);
        }
    }

    @ParameterizedTest
    @EnumSource(Chain.class)
    void every_damaged_object_of_a_single_object_repository_is_refused_and_named_unless_its_content_is_unchanged(Chain chain) {
        Fixture f = new Fixture(chain, Layout.SINGLE);
        List<String> failures = new ArrayList<>();
        f.damage(RepoConfig.OBJECT, f::store, failures);
        Store store = f.store();
        for (String id : f.snapshots) {
            f.damage(Manifest.objectName(id), () -> store.manifest(id), failures);
        }
        Manifest manifest = store.manifest(f.snapshots.get(0));
        for (Manifest.Item item : manifest.items()) {
            if (item.entry().type() != EntryType.REGULAR) {
                continue;
            }
            String name = item.object().orElseThrow();
            java.util.function.Supplier<byte[]> read = () -> {
                try (InputStream in = new RestoreRun(store, manifest, Runnable::run, 1).open(item)) {
                    return in.readAllBytes();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
            byte[] content = read.get();
            byte[] original = f.read(name);
            try {
                forEachDamage(original, 0, 0, (what, damaged) -> {
                    f.sink.damage(name, damaged);
                    expectCorruptOrSame(name, what, read, content, failures);
                });
            } finally {
                f.sink.damage(null, null);
            }
        }
        assertNoFailures(failures);
    }

    /**
     * Below the envelope: damaged plaintext of an index object, a manifest, a tree blob and a pack header (in a repository with
     * no transformers, the header on disk is this plaintext) may parse to other plausible values, but never throws
     * anything other than {@link CorruptDataException}.
     */
    @Test
    void the_inner_codecs_fail_only_with_corrupt_data_whatever_the_damage() {
        Fixture f = new Fixture(Chain.NONE, Layout.CHUNKED);
        Store store = f.store();
        List<String> failures = new ArrayList<>();
        for (String name : f.objects(IndexFile.PREFIX)) {
            byte[] plain = store.readMetadata(name);
            forEachDamage(plain, (what, damaged) -> onlyCorrupt(name, what, () -> IndexFile.parse(name, damaged), failures));
            forEachGarbledLength(plain, (what, damaged) -> onlyCorrupt(name, what, () -> IndexFile.parse(name, damaged), failures));
        }
        for (String id : f.snapshots) {
            String name = Manifest.objectName(id);
            byte[] json = store.readMetadata(name);
            forEachDamage(json, (what, damaged) -> onlyCorrupt(name, what, () -> ManifestFormat.read(name, damaged), failures));
        }
        // tree blobs (snapshot format 3): the error names the tree
        for (com.mintreplica.backup.core.internal.BlobId tree
                : store.reloadIndex().blobIds(com.mintreplica.backup.core.internal.BlobType.TREE)) {
            byte[] json = store.readBlob(tree);
            forEachDamage(json, (what, damaged) -> onlyCorrupt(tree.hex(), what,
                    () -> com.mintreplica.backup.core.internal.TreeFormat.decode(tree, "d", damaged), failures));
        }
        for (String name : f.objects(Packs.PREFIX)) {
            BlobId packId = Packs.idOf(name);
            byte[] pack = f.read(name);
            int headerLength = java.nio.ByteBuffer.wrap(pack, pack.length - 8, 4).getInt();
            int headerStart = pack.length - 8 - headerLength;
            forEachGarbledLength(Arrays.copyOfRange(pack, headerStart, headerStart + headerLength), (what, header) -> {
                byte[] damaged = Arrays.copyOf(pack, pack.length);
                System.arraycopy(header, 0, damaged, headerStart, headerLength);
                onlyCorrupt(name, what, () -> Packs.parse(packId, damaged, store.codec()), failures);
            });
        }
        assertThat(failures).as("%d inner failures; the first: %s", failures.size(), failures.stream().limit(20).toList())
                .isEmpty();
    }

    /** Each 4-byte big-endian field set to the values that break length arithmetic. */
    static void forEachGarbledLength(byte[] original, DamageConsumer consumer) {
        int[] values = {-1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x7FFFFFF0, 1 << 24};
        for (int i = 0; i + 4 <= original.length; i++) {
            for (int v : values) {
                byte[] damaged = original.clone();
                java.nio.ByteBuffer.wrap(damaged, i, 4).putInt(v);
                consumer.accept("int at " + i + " set to " + v, damaged);
            }
        }
    }

    static void onlyCorrupt(String name, String what, Runnable reader, List<String> failures) {
        try {
            reader.run();
        } catch (CorruptDataException e) {
            if (!e.getMessage().contains(name)) {
                failures.add(name + " " + what + ": the error does not name the object: " + e.getMessage());
            }
        } catch (Throwable t) {
            failures.add(name + " " + what + ": " + t);
        }
    }

    @Test
    void an_envelope_refuses_every_truncation_and_flip_and_names_the_object() {
        byte[] sealed = Envelope.seal("{\"a\":1}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        List<String> failures = new ArrayList<>();
        forEachDamage(sealed, (what, damaged) -> expectCorrupt("index/x", what, () -> Envelope.open("index/x", damaged), failures));
        assertNoFailures(failures);
        assertThat(Envelope.open("index/x", sealed)).asString().isEqualTo("{\"a\":1}\n");
    }

    /**
     * A small tree with every kind of entry and attribute: a directory, a file with owner, group, ids, time, mode,
     * attributes and change token, a symlink, an empty file, a multi-chunk file that changes in the second snapshot.
     */
    static final class RichSource implements Source {
        private final boolean second;

        RichSource(boolean second) {
            this.second = second;
        }

        @Override
        public SourceId id() {
            return new SourceId("test", "rich");
        }

        @Override
        public SourceReader open(BackupContext context) {
            byte[] big = new byte[40 * 1024];
            new Random(5).nextBytes(big);
            if (second) {
                Arrays.fill(big, 20_000, 20_100, (byte) 7);
            }
            Instant t = Instant.parse("2026-02-01T00:00:00.123456789Z");
            List<SourceEntry> entries = List.of(
                    SourceEntry.of(Entry.directory("d").mode(0755).modified(t).build(), InputStream::nullInputStream),
                    content(Entry.regular("d/a.txt").mode(0640).modified(t).uid(1000).gid(100).owner("alice").group("users")
                            .changeToken("9:1:2").attribute("k", "v").build(), "some text".getBytes()),
                    SourceEntry.of(Entry.symlink("d/link", "a.txt").build(), InputStream::nullInputStream),
                    content(Entry.regular("d/empty").build(), new byte[0]),
                    content(Entry.regular("big.bin").mode(0600).build(), big),
                    content(Entry.regular("\u00fcnicode \u2013 name.txt").build(), "\u00fc".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            Iterator<SourceEntry> it = entries.iterator();
            return new SourceReader() {
                @Override
                public Optional<SourceEntry> next() {
                    return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
                }

                @Override
                public Map<String, String> facts() {
                    return Map.of("test.fact", "42");
                }

                @Override
                public void close() {
                }
            };
        }

        private static SourceEntry content(Entry entry, byte[] bytes) {
            return SourceEntry.of(entry, () -> new ByteArrayInputStream(bytes));
        }
    }
}
