package com.mintreplica.backup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.UntrustedSnapshot;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.crypto.internal.Ed25519;
import com.mintreplica.backup.crypto.internal.Signatures;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mintreplica.backup.testkit.MemoryTarget;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Write-only keys through the Java API: a backup host holding a writer key (public material, no secret key, no
 * passphrase) backs up, deduplicates and skips unchanged files, and cannot read anything; readers restore what it
 * wrote, and stop trusting it once it is revoked. Keys are made by the real gpg; the repository is in memory.
 */
@Timeout(300)
class WriterKeyTest {
    private final TestKeys keys = TestKeys.get();

    @TempDir
    Path temp;

    /** A source whose files carry change tokens (as the directory source's do) and that counts the files it opens. */
    static final class CountingSource implements Source {
        final Map<String, byte[]> files = new LinkedHashMap<>();
        final Map<String, String> tokens = new LinkedHashMap<>();
        final AtomicInteger opened = new AtomicInteger();

        CountingSource put(String path, byte[] content, String token) {
            files.put(path, content);
            tokens.put(path, token);
            return this;
        }

        @Override
        public SourceId id() {
            return new SourceId("fs", "/srv/mint");
        }

        @Override
        public SourceReader open(BackupContext context) {
            Iterator<Map.Entry<String, byte[]>> it = files.entrySet().iterator();
            return new SourceReader() {
                @Override
                public Optional<SourceEntry> next() {
                    if (!it.hasNext()) {
                        return Optional.empty();
                    }
                    Map.Entry<String, byte[]> f = it.next();
                    Entry entry = Entry.regular(f.getKey()).size(f.getValue().length).changeToken(tokens.get(f.getKey())).build();
                    return Optional.of(SourceEntry.of(entry, () -> {
                        opened.incrementAndGet();
                        return new ByteArrayInputStream(f.getValue());
                    }));
                }

                @Override
                public Map<String, String> facts() {
                    return Map.of();
                }

                @Override
                public void close() {
                }
            };
        }
    }

    static CountingSource source() {
        CountingSource s = new CountingSource();
        Fixtures.data().forEach((path, content) -> s.put(path, content, "token-" + path.hashCode()));
        return s;
    }

    /** A repository in memory of {@code layout}, encrypted to {@code recipients} (WriterIndexCacheTest's too). */
    static InMemorySink repository(Layout layout, OpenPgpPublicKey... recipients) {
        InMemorySink sink = new InMemorySink();
        try (Repository ignored = Repository.init(sink, RepositorySettings.defaults().withLayout(layout),
                OpenPgpEncryption.to(recipients))) {
            return sink;
        }
    }

    private WriterKey export(InMemorySink sink, String name) {
        return exportWriter(sink, keys.edSecret(), temp, name);
    }

    /** Writer key {@code name} exported with {@code secret} into {@code dir}, caching in {@code dir/cache-NAME}. */
    static WriterKey exportWriter(InMemorySink sink, OpenPgpSecretKey secret, Path dir, String name) {
        Path file = dir.resolve(name + ".key");
        try (KeyManager manager = KeyManager.open(sink, secret)) {
            manager.exportWriter(name).write(file);
        }
        return WriterKey.load(file).withCacheDirectory(dir.resolve("cache-" + name));
    }

    private static BackupResult backup(InMemorySink sink, WriterKey writer, Source source) {
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.writeWith(writer))) {
            return Backup.pipeline().source(source).to(repo).host("app1").build().run();
        }
    }

    private Map<String, byte[]> restore(InMemorySink sink, String snapshot) {
        return restore(sink, keys.edSecret(), snapshot);
    }

    /** The files of {@code snapshot}, restored with {@code secret} (WriterIndexCacheTest's too). */
    static Map<String, byte[]> restore(InMemorySink sink, OpenPgpSecretKey secret, String snapshot) {
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(secret))) {
            MemoryTarget target = new MemoryTarget();
            repo.restore(SnapshotSelector.parse(snapshot)).to(target).run();
            return target.files();
        }
    }

    @Test
    void a_writer_backs_up_with_public_material_only_and_a_reader_restores_the_tree() throws Exception {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic(), keys.rsaPublic());
        WriterKey writer = export(sink, "app1");
        assertThat(Files.getPosixFilePermissions(temp.resolve("app1.key"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(writer.recipientFingerprints()).containsExactlyInAnyOrder(keys.ed.fingerprint(), keys.rsa.fingerprint());

        CountingSource source = source();
        Snapshot snapshot = backup(sink, writer, source).snapshot();

        Map<String, byte[]> restored = restore(sink, snapshot.id());
        assertThat(restored.keySet()).containsExactlyElementsOf(source.files.keySet());
        source.files.forEach((path, content) -> assertThat(restored.get(path)).as(path).isEqualTo(content));
        // the RSA recipient opens it too
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.rsaSecret()))) {
            assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(snapshot.id());
            assertThat(repo.verify(true).ok()).as(repo.verify(true).toString()).isTrue();
        }
    }

    @Test
    void key_material_is_stored_as_key_objects_so_a_sink_can_tell_it_from_the_config() {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(sink, "app1");
        backup(sink, writer, source());
        List<String> keyMaterial = sink.objects().keySet().stream()
                .filter(name -> name.startsWith("keys/") || name.startsWith("writers/") || name.startsWith("sessions/"))
                .toList();
        assertThat(keyMaterial).anyMatch(n -> n.startsWith("keys/")).anyMatch(n -> n.startsWith("writers/"))
                .anyMatch(n -> n.startsWith("sessions/"));
        keyMaterial.forEach(name -> assertThat(sink.kindOf(name)).as(name).contains(com.mintreplica.backup.core.sink.ObjectKind.KEY));
        assertThat(sink.kindOf("config")).contains(com.mintreplica.backup.core.sink.ObjectKind.CONFIG);
    }

    @Test
    void a_writer_decrypts_nothing_not_even_its_own_snapshot_and_says_a_readers_key_is_needed() {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(sink, "app1");
        Snapshot snapshot = backup(sink, writer, source()).snapshot();
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.writeWith(writer))) {
            assertThat(repo.canRead()).isFalse();
            for (Runnable read : List.<Runnable>of(repo::snapshots, () -> repo.verify(true), () -> repo.verify(false),
                    () -> repo.restore(SnapshotSelector.latest()).to(new MemoryTarget()).run(),
                    () -> repo.openEntry(snapshot, "empty-marker"), () -> repo.prune().policy(com.mintreplica.backup.core.retention.Retention.builder().keepLast(1).build()).run(),
                    () -> repo.forget(snapshot))) {
                assertThatThrownBy(read::run).isInstanceOf(AccessDeniedException.class)
                        .hasMessageContaining("needs a reader's key").hasMessageContaining("writer key 'app1'");
            }
        }
    }

    @Test
    void an_unchanged_second_backup_stores_little_and_with_the_cache_reads_no_file() {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(sink, "app1");
        CountingSource source = source();
        BackupResult first = backup(sink, writer, source);
        assertThat(source.opened.get()).isEqualTo(source.files.size());
        long before = sink.totalBytes();

        BackupResult second = backup(sink, writer, source);
        assertThat(source.opened.get()).as("files read by the second backup").isEqualTo(source.files.size());
        assertThat(second.snapshot().stats().bytesRead()).isZero();
        assertThat(second.snapshot().stats().bytesNew()).isZero();
        assertThat(sink.totalBytes() - before).isLessThan(1 << 20);
        assertThat(second.snapshot().parent()).contains(first.snapshot().id());
        assertThat(restore(sink, second.snapshot().id()).get("payroll-secret.bin"))
                .isEqualTo(source.files.get("payroll-secret.bin"));

        // without a cache, unchanged files are read again but nothing new is stored
        long again = sink.totalBytes();
        BackupResult third = backup(sink, writer.withoutCache(), source);
        assertThat(source.opened.get()).isEqualTo(2 * source.files.size());
        assertThat(third.snapshot().stats().bytesNew()).isZero();
        assertThat(sink.totalBytes() - again).isLessThan(1 << 20);
    }

    @Test
    void a_damaged_cache_costs_a_reread_and_a_cache_naming_blobs_that_are_not_stored_is_not_trusted() throws Exception {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(sink, "app1");
        InMemorySink beforeAnyBackup = copy(sink);
        CountingSource source = source();
        backup(sink, writer, source);
        Path cache;
        try (Stream<Path> files = Files.walk(temp.resolve("cache-app1"))) {
            cache = files.filter(Files::isRegularFile).filter(WriterKeyTest::parentCacheFile).findFirst().orElseThrow();
        }
        byte[] good = Files.readAllBytes(cache);
        byte[] damaged = good.clone();
        damaged[damaged.length / 2] ^= 1;
        Files.write(cache, damaged);
        backup(sink, writer, source);
        assertThat(source.opened.get()).as("every file read again").isEqualTo(2 * source.files.size());

        // a valid cache whose blobs this repository does not hold (its data is gone, or it was put back from an older
        // copy): they are not in the authenticated id set, so nothing is reused and the snapshot is whole
        BackupResult fresh = backup(beforeAnyBackup, writer, source);
        // every file with content is read again (the empty one has no blob to be missing: unchanged and empty is right)
        assertThat(source.opened.get()).isEqualTo(3 * source.files.size() - 1);
        assertThat(fresh.snapshot().stats().bytesNew()).isEqualTo(source.files.values().stream().mapToLong(b -> b.length).sum());
        assertThat(restore(beforeAnyBackup, fresh.snapshot().id()).get("payroll-secret.bin"))
                .isEqualTo(source.files.get("payroll-secret.bin"));
    }

    @Test
    void a_truncated_or_another_hosts_cache_file_costs_a_reread_and_the_snapshot_is_whole() throws Exception {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(sink, "app1");
        CountingSource source = source();
        backup(sink, writer, source);
        Path app1 = cacheFiles().get(0);
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.writeWith(writer))) {
            Backup.pipeline().source(source).to(repo).host("app2").build().run();
        }
        Path app2 = cacheFiles().stream().filter(p -> !p.equals(app1)).findFirst().orElseThrow();
        long allBytes = source.files.values().stream().mapToLong(b -> b.length).sum();
        for (String damage : List.of("truncated", "another host's")) {
            if (damage.equals("truncated")) {
                byte[] bytes = Files.readAllBytes(app1);
                Files.write(app1, Arrays.copyOf(bytes, bytes.length - 100));
            } else {
                // valid, sealed under the same key, but bound to another name
                Files.copy(app2, app1, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            int before = source.opened.get();
            BackupResult again = backup(sink, writer, source);
            assertThat(source.opened.get() - before).as("%s: every file read again", damage).isEqualTo(source.files.size());
            assertThat(again.snapshot().stats().bytesRead()).isEqualTo(allBytes);
            Map<String, byte[]> restored = restore(sink, again.snapshot().id());
            assertThat(restored.keySet()).containsAll(source.files.keySet());
            source.files.forEach((path, content) -> assertThat(restored.get(path)).as(path).isEqualTo(content));
        }
        // and the cache the last backup wrote serves the next one
        int before = source.opened.get();
        backup(sink, writer, source);
        assertThat(source.opened.get() - before).isZero();
    }

    private List<Path> cacheFiles() throws java.io.IOException {
        try (Stream<Path> files = Files.walk(temp.resolve("cache-app1"))) {
            return files.filter(Files::isRegularFile).filter(WriterKeyTest::parentCacheFile).toList();
        }
    }

    /** A parent cache file, not one of the cached id parts of index objects ({@code <repository>/index/}). */
    static boolean parentCacheFile(Path file) {
        return !file.getParent().getFileName().toString().equals("index");
    }

    @Test
    void no_plaintext_name_or_content_is_in_any_stored_object_the_writer_key_or_the_cache() throws Exception {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(sink, "app1");
        CountingSource source = new CountingSource().put("quarterly/zanzibar-payroll-7731.csv",
                "IBAN DE44 5001 0517 5407 3249 31;salary;9231.77\n".repeat(2000).getBytes(StandardCharsets.UTF_8), "t1");
        backup(sink, writer, source);
        backup(sink, writer, source);
        List<byte[]> needles = List.of("zanzibar".getBytes(StandardCharsets.UTF_8), "5407 3249".getBytes(StandardCharsets.UTF_8),
                "quarterly".getBytes(StandardCharsets.UTF_8), "/srv/mint".getBytes(StandardCharsets.UTF_8));
        Map<String, byte[]> haystacks = new LinkedHashMap<>(sink.objects());
        haystacks.put("writer key", Files.readAllBytes(temp.resolve("app1.key")));
        try (Stream<Path> files = Files.walk(temp.resolve("cache-app1"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                haystacks.put(f.toString(), Files.readAllBytes(f));
            }
        }
        assertThat(haystacks.keySet()).anyMatch(n -> n.startsWith("sessions/")).anyMatch(n -> n.startsWith("writers/"))
                .anyMatch(n -> n.contains("cache-app1"));
        haystacks.forEach((name, bytes) -> needles.forEach(needle ->
                assertThat(indexOf(bytes, needle)).as("'%s' in %s", new String(needle, StandardCharsets.UTF_8), name).isNegative()));
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void a_swapped_or_extended_recipient_list_makes_the_writer_refuse_before_writing_anything() {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(sink, "app1");
        // someone who can write to the bucket replaces the recipient's key object with one for their own key
        InMemorySink swapped = copy(sink);
        String keyObject = swapped.objects().keySet().stream().filter(n -> n.startsWith("keys/")).findFirst().orElseThrow();
        byte[] theirs = keyObjectFor(keys.rsaPublic(), sink);
        swapped.delete(keyObject);
        put(swapped, "keys/00attacker", theirs);
        Map<String, byte[]> before = new LinkedHashMap<>(swapped.objects());
        assertThatThrownBy(() -> backup(swapped, writer, source())).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("added " + keys.rsa.fingerprint()).hasMessageContaining("removed " + keys.ed.fingerprint())
                .hasMessageContaining("nothing was written");
        assertThat(swapped.objects().keySet()).isEqualTo(before.keySet());

        InMemorySink extended = copy(sink);
        put(extended, "keys/00attacker", theirs);
        assertThatThrownBy(() -> backup(extended, writer, source())).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("added " + keys.rsa.fingerprint()).hasMessageNotContaining("removed");
    }

    /** A key object as `key add` would write it for {@code key}: made in a scratch repository, renamed. */
    private byte[] keyObjectFor(OpenPgpPublicKey key, InMemorySink target) {
        InMemorySink scratch = repository(Layout.CHUNKED, key);
        byte[] object = scratch.objects().entrySet().stream().filter(e -> e.getKey().startsWith("keys/")).findFirst()
                .orElseThrow().getValue();
        String scratchId = new String(scratch.objects().get("config"), StandardCharsets.UTF_8).replaceAll("(?s).*\"id\" : \"([^\"]+)\".*", "$1");
        String targetId = new String(target.objects().get("config"), StandardCharsets.UTF_8).replaceAll("(?s).*\"id\" : \"([^\"]+)\".*", "$1");
        return new String(object, StandardCharsets.UTF_8).replace(scratchId, targetId).getBytes(StandardCharsets.UTF_8);
    }

    private static InMemorySink copy(InMemorySink sink) {
        InMemorySink out = new InMemorySink();
        sink.objects().forEach((name, bytes) -> put(out, name, bytes));
        return out;
    }

    static void put(InMemorySink sink, String name, byte[] bytes) {
        try {
            sink.put(name, new ByteArrayInputStream(bytes), bytes.length, com.mintreplica.backup.core.sink.ObjectKind.CONFIG);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void a_revoked_writer_cannot_add_snapshots_readers_trust_and_what_it_wrote_before_stays_trusted() {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(sink, "app1");
        WriterKey other = export(sink, "app2");
        Snapshot before = backup(sink, writer, source()).snapshot();
        try (KeyManager manager = KeyManager.open(sink, keys.edSecret())) {
            WriterInfo revoked = manager.revokeWriter("app1", Optional.empty());
            assertThat(revoked.revoked()).isPresent();
            assertThat(revoked.keptObjects()).isEqualTo(2); // its manifest and its index object
        }
        // the writer itself refuses, writing nothing
        assertThatThrownBy(() -> backup(sink, writer, source())).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("was revoked");

        // a thief holding the revoked key and ignoring that refusal signs a snapshot of its own
        String forgedName = "snapshots/" + before.id().substring(0, before.id().length() - 8) + "ffffffff";
        byte[] stored = sink.objects().get("snapshots/" + before.id());
        Signatures.SignedObject original = Signatures.parseObject(stored).orElseThrow();
        put(sink, forgedName, Signatures.signObject(Ed25519.fromSeed(writer.signingSeed()),
                org.bouncycastle.util.encoders.Hex.decode(writer.writerId()), writer.repositoryId(), forgedName,
                original.content()));
        // and a valid writer still works
        Snapshot fromOther = backup(sink, other, source()).snapshot();

        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(before.id(), fromOther.id());
            List<UntrustedSnapshot> untrusted = repo.untrustedSnapshots();
            assertThat(untrusted).hasSize(1);
            assertThat(untrusted.get(0).reason()).contains("app1").contains("revoked");
            assertThat(repo.listSnapshots().untrusted()).as("one listing gives them too").isEqualTo(untrusted);
            String forgedId = forgedName.substring("snapshots/".length());
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.parse(forgedId)).to(new MemoryTarget()).run())
                    .isInstanceOf(com.mintreplica.backup.core.BackupException.class);
            // prune keeps the untrusted snapshot's data and does not count it in retention
            com.mintreplica.backup.core.PruneReport pruned = repo.prune()
                    .policy(com.mintreplica.backup.core.retention.Retention.builder().keepLast(5).build())
                    .unindexedGrace(Duration.ZERO).run();
            assertThat(sink.objects()).containsKey(forgedName);
            assertThat(pruned.untrusted()).as("the report names what prune kept untrusted").isEqualTo(untrusted);
        }
        assertThat(restore(sink, before.id()).get("payroll-secret.bin")).isEqualTo(Fixtures.data().get("payroll-secret.bin"));
    }

    @Test
    void a_writers_snapshots_list_from_the_readers_cache_and_stop_being_trusted_there_when_the_writer_is_revoked() {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(sink, "app1");
        Snapshot first = backup(sink, writer, source()).snapshot();
        Snapshot second = backup(sink, writer, source()).snapshot();
        Path cache = temp.resolve("reader-cache");
        SnapshotReads reads = new SnapshotReads(sink);
        try (Repository repo = Repository.open(reads, OpenPgpEncryption.unlockWith(keys.edSecret())).withCache(cache)) {
            assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(first.id(), second.id());
        }
        assertThat(reads.count.get()).isEqualTo(2); // read, verified and cached
        // a later listing reads no snapshot object: the writer's heads come from the cache, its trust from the keys
        try (Repository repo = Repository.open(reads, OpenPgpEncryption.unlockWith(keys.edSecret())).withCache(cache)) {
            assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(first.id(), second.id());
        }
        assertThat(reads.count.get()).isEqualTo(2);

        // revoked, keeping nothing it wrote (a key stolen long ago): the cached heads stop counting at once
        try (KeyManager manager = KeyManager.open(sink, keys.edSecret())) {
            manager.revokeWriter("app1", Optional.of(java.time.Instant.EPOCH));
        }
        try (Repository repo = Repository.open(reads, OpenPgpEncryption.unlockWith(keys.edSecret())).withCache(cache)) {
            com.mintreplica.backup.core.SnapshotListing listing = repo.listSnapshots();
            assertThat(listing.snapshots()).isEmpty();
            assertThat(listing.untrusted()).extracting(u -> u.snapshot().id()).containsExactly(first.id(), second.id());
            assertThat(listing.untrusted().get(0).reason()).contains("app1").contains("revoked");
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.parse(first.id())).to(new MemoryTarget()).run())
                    .isInstanceOf(com.mintreplica.backup.core.BackupException.class);
        }
        assertThat(reads.count.get()).isEqualTo(2);
        // and without the cache the same listing, read from the objects
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            assertThat(repo.listSnapshots().untrusted()).extracting(u -> u.snapshot().id())
                    .containsExactly(first.id(), second.id());
        }
    }

    @Test
    void a_readers_cache_of_writers_index_objects_is_read_instead_of_them_and_a_revoked_writers_locations_still_count() {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey app1 = export(sink, "app1");
        WriterKey app2 = export(sink, "app2");
        backup(sink, app1, source());
        // the same data through another writer: deduplicated against app1's index, so its blobs are where app1's
        // index objects place them
        Snapshot second;
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.writeWith(app2))) {
            second = Backup.pipeline().source(source()).to(repo).host("app2").build().run().snapshot();
        }
        List<String> index = sink.objects().keySet().stream().filter(n -> n.startsWith("index/")).toList();
        assertThat(index).as("app1's index objects; app2 stored no new blob").isNotEmpty();
        Path cache = temp.resolve("reader-cache");
        IndexReads reads = new IndexReads(sink);
        java.util.function.Supplier<Map<String, byte[]>> restore = () -> {
            try (Repository repo = Repository.open(reads, OpenPgpEncryption.unlockWith(keys.edSecret())).withCache(cache)) {
                MemoryTarget target = new MemoryTarget();
                repo.restore(SnapshotSelector.parse(second.id())).to(target).run();
                return target.files();
            }
        };
        assertThat(restore.get().get("payroll-secret.bin")).isEqualTo(Fixtures.data().get("payroll-secret.bin"));
        assertThat(reads.names).as("the first open reads every writer's index object").containsAll(index);
        reads.names.clear();
        assertThat(restore.get().get("payroll-secret.bin")).isEqualTo(Fixtures.data().get("payroll-secret.bin"));
        assertThat(reads.names).as("the next reads none: no writer session is opened, no signature verified").isEmpty();

        // app1 revoked, keeping nothing: its snapshot is no longer trusted, but its index objects still place blobs
        // (checked by their ids on every read), from the cache as from the repository
        try (KeyManager manager = KeyManager.open(sink, keys.edSecret())) {
            manager.revokeWriter("app1", Optional.of(java.time.Instant.EPOCH));
        }
        assertThat(restore.get().get("payroll-secret.bin")).isEqualTo(Fixtures.data().get("payroll-secret.bin"));
        assertThat(reads.names).isEmpty();
        assertThat(restore(sink, second.id()).get("payroll-secret.bin")).as("as without the cache")
                .isEqualTo(Fixtures.data().get("payroll-secret.bin"));
        // and verify still reads and checks every stored index object, naming the revoked writer's
        try (Repository repo = Repository.open(reads, OpenPgpEncryption.unlockWith(keys.edSecret())).withCache(cache)) {
            com.mintreplica.backup.core.VerifyReport report = repo.verify(false);
            assertThat(reads.names).containsAll(index);
            assertThat(report.problems().toString()).contains("not trusted");
        }
    }

    /** Records the index objects read. */
    private static final class IndexReads extends com.mintreplica.backup.testkit.ForwardingSink {
        final List<String> names = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

        IndexReads(com.mintreplica.backup.core.sink.Sink sink) {
            super(sink);
        }

        @Override
        public java.io.InputStream get(String name) throws java.io.IOException {
            if (name.startsWith("index/")) {
                names.add(name);
            }
            return super.get(name);
        }

        @Override
        public void close() {
            // the test's sink outlives each Repository
        }
    }

    /** Counts the reads of snapshot objects. */
    private static final class SnapshotReads extends com.mintreplica.backup.testkit.ForwardingSink {
        final AtomicInteger count = new AtomicInteger();

        SnapshotReads(com.mintreplica.backup.core.sink.Sink sink) {
            super(sink);
        }

        @Override
        public java.io.InputStream get(String name) throws java.io.IOException {
            if (name.startsWith("snapshots/")) {
                count.incrementAndGet();
            }
            return super.get(name);
        }

        @Override
        public void close() {
            // the test's sink outlives each Repository
        }
    }

    @Test
    void repair_index_on_a_repository_with_writers_reads_their_index_objects_and_keeps_writers_deduplicating() throws Exception {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(sink, "app1");
        BackupResult first = backup(sink, writer, source());
        // every index object is lost: the packs are indexed again from their headers
        for (String name : List.copyOf(sink.objects().keySet())) {
            if (name.startsWith("index/")) {
                sink.delete(name);
            }
        }
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            com.mintreplica.backup.core.IndexRepairReport report = repo.repairIndex(false, false);
            assertThat(report.packsAdded()).isNotEmpty();
            assertThat(report.damagedIndexObjects()).isEmpty();
            assertThat(repo.verify(true).ok()).isTrue();
        }
        // what repair wrote has an id part readers signed: the writer deduplicates against it (no cache: reads all)
        BackupResult again = backup(sink, writer.withoutCache(), source());
        assertThat(again.snapshot().stats().bytesRead()).isPositive();
        assertThat(again.snapshot().stats().bytesNew()).isZero();
        // and a second repair reads every index object (signed, with id parts) as intact and changes nothing
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            com.mintreplica.backup.core.IndexRepairReport report = repo.repairIndex(false, true);
            assertThat(report.damagedIndexObjects()).isEmpty();
            assertThat(report.damagedPacks()).isEmpty();
            assertThat(report.packsAdded()).isEmpty();
        }
        assertThat(restore(sink, first.snapshot().id()).get("payroll-secret.bin")).isEqualTo(Fixtures.data().get("payroll-secret.bin"));
    }

    @Test
    void a_writer_deduplicates_against_what_readers_stored_before_it_was_exported() {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        CountingSource source = source();
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            Backup.pipeline().source(source).to(repo).host("db1").build().run();
        }
        WriterKey writer = export(sink, "app1");
        BackupResult result = backup(sink, writer, source);
        assertThat(result.snapshot().stats().bytesNew()).isZero();
        // and readers' later backups keep the writer's index readable: a reader backup, then the writer again
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            Backup.pipeline().source(Fixtures.mapSource(Map.of("new.bin", Fixtures.random(2 << 20, 99)))).to(repo).build().run();
        }
        BackupResult again = backup(sink, writer.withoutCache(), Fixtures.mapSource(Map.of("same.bin", Fixtures.random(2 << 20, 99))));
        assertThat(again.snapshot().stats().bytesNew()).isZero();
    }

    /** Flips the last byte of the first read of each index object, as a store or a network might in transit. */
    private static final class FlipsFirstIndexRead extends com.mintreplica.backup.testkit.ForwardingSink {
        final java.util.Set<String> flipped = java.util.concurrent.ConcurrentHashMap.newKeySet();

        FlipsFirstIndexRead(InMemorySink delegate) {
            super(delegate);
        }

        @Override
        public java.io.InputStream get(String name) throws java.io.IOException {
            byte[] bytes = super.get(name).readAllBytes();
            if (name.startsWith("index/") && flipped.add(name)) {
                bytes[bytes.length - 1] ^= 1;
            }
            return new ByteArrayInputStream(bytes);
        }
    }

    @Test
    void an_index_object_that_arrives_damaged_is_read_again_and_the_writer_still_deduplicates() {
        // A writer took a signature that did not verify with its signer's key for an object it does not trust, and
        // left it out without a word: through a store failing half its requests (bytes flipped in transit), a second
        // backup of 100,000 unchanged files read and stored a third of them again. Damage is read again, as a reader's
        // is; only what stays damaged is left out.
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(sink, "app1");
        CountingSource source = source();
        backup(sink, writer, source);

        FlipsFirstIndexRead flipping = new FlipsFirstIndexRead(sink);
        BackupResult again;
        try (Repository repo = Repository.open(flipping, OpenPgpEncryption.writeWith(writer.withoutCache()))) {
            again = Backup.pipeline().source(source).to(repo).host("app1").build().run();
        }

        assertThat(flipping.flipped).as("index objects read damaged").isNotEmpty();
        assertThat(again.snapshot().stats().bytesNew()).isZero();
    }

    @Test
    void a_writer_copies_into_an_encrypted_repository() {
        InMemorySink from = new InMemorySink();
        try (Repository source = Repository.init(from)) {
            Backup.pipeline().source(Fixtures.mapSource(Fixtures.data())).to(source).build().run();
        }
        InMemorySink to = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey writer = export(to, "app1");
        try (Repository source = Repository.open(from);
             Repository target = Repository.open(to, OpenPgpEncryption.writeWith(writer))) {
            assertThat(source.copyTo(target).copied()).hasSize(1);
            assertThat(source.copyTo(target).copied()).isEmpty();
        }
        Map<String, byte[]> restored;
        try (Repository repo = Repository.open(to, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            MemoryTarget target = new MemoryTarget();
            repo.restore(SnapshotSelector.latest()).to(target).run();
            restored = target.files();
        }
        Fixtures.data().forEach((path, content) -> assertThat(restored.get(path)).as(path).isEqualTo(content));
    }

    @Test
    void index_ids_that_a_revoked_writer_or_an_unsigned_object_lists_do_not_make_writers_skip_a_chunk() throws Exception {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey thief = export(sink, "app1");
        WriterKey honest = export(sink, "app2");
        backup(sink, thief, source());
        try (KeyManager manager = KeyManager.open(sink, keys.edSecret())) {
            manager.revokeWriter(thief.writerId().substring(0, 12), Optional.empty());
        }
        // One chunk (smaller than the minimum chunk size): its id is the HMAC of its content under the blob id key,
        // which every writer key holds. The thief lists it as stored, though it is not.
        byte[] chunk = Fixtures.random(100_000, 4242);
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(thief.idKey(), "HmacSHA256"));
        byte[] forgedId = mac.doFinal(chunk);
        String legit = sink.objects().keySet().stream().filter(n -> n.startsWith("index/")).findFirst().orElseThrow();
        // (test-only use of the core's index format, to build what an attacker would)
        com.mintreplica.backup.core.internal.IndexFile.Framed framed = com.mintreplica.backup.core.internal.IndexFile
                .unframe(legit, Signatures.parseObject(sink.objects().get(legit)).orElseThrow().content());
        com.mintreplica.backup.crypto.internal.AesGcmTransformer shared = new com.mintreplica.backup.crypto.internal.AesGcmTransformer(
                List.of(com.mintreplica.backup.crypto.internal.DataKey.shared(thief.idKey())), new java.security.SecureRandom());
        byte[] ids = shared.encode(forgedId);
        byte[] content = com.mintreplica.backup.core.internal.IndexFile.frame(ids, framed.format1());
        String signedName = "index/" + "ab".repeat(32);
        put(sink, signedName, Signatures.signObject(Ed25519.fromSeed(thief.signingSeed()),
                org.bouncycastle.util.encoders.Hex.decode(thief.writerId()), thief.repositoryId(), signedName, content));
        put(sink, "index/" + "cd".repeat(32), content);

        BackupResult result = backup(sink, honest, new CountingSource().put("invoice.pdf", chunk, "t"));
        assertThat(result.snapshot().stats().bytesNew()).as("the chunk is stored, not skipped").isEqualTo(chunk.length);
        assertThat(restore(sink, result.snapshot().id()).get("invoice.pdf")).isEqualTo(chunk);
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            assertThat(repo.verify(false).problems()).extracting(p -> p.object())
                    .contains(signedName, "index/" + "cd".repeat(32));
        }
    }

    /** Files in nested directories (several tree blobs), in Source order: all entries below a directory together. */
    static CountingSource nested() {
        CountingSource s = new CountingSource();
        s.put("etc/app/a.conf", "a = 1\n".getBytes(StandardCharsets.UTF_8), "t1");
        s.put("etc/app/b.conf", Fixtures.random(200_000, 11), "t2");
        s.put("etc/hosts", "127.0.0.1 localhost\n".getBytes(StandardCharsets.UTF_8), "t3");
        s.put("readme", "nested".getBytes(StandardCharsets.UTF_8), "t4");
        s.put("var/log/x.log", Fixtures.random(150_000, 12), "t5");
        s.put("var/log/y.log", Fixtures.random(90_000, 13), "t6");
        return s;
    }

    private static java.util.Set<String> objects(InMemorySink sink, String prefix) {
        return sink.objects().keySet().stream().filter(n -> n.startsWith(prefix))
                .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }

    @Test
    void a_writer_writes_tree_snapshots_that_readers_restore_and_unchanged_directories_store_no_new_tree_blobs() {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey app1 = export(sink, "app1");
        WriterKey app2 = export(sink, "app2");
        CountingSource source = nested();
        Snapshot first = backup(sink, app1, source).snapshot();
        java.util.Set<String> trees = objects(sink, "tree/");
        assertThat(trees).as("a writer's snapshot is a tree of per-directory tree blobs, in tree packs").isNotEmpty();
        Map<String, byte[]> restored = restore(sink, first.id());
        assertThat(restored.keySet()).containsExactlyInAnyOrderElementsOf(source.files.keySet());
        source.files.forEach((path, content) -> assertThat(restored.get(path)).as(path).isEqualTo(content));

        // The same writer again: its parent comes from its local cache (it cannot read trees), so nothing is read,
        // and every tree blob is already listed in an id part: no tree pack is written.
        int opened = source.opened.get();
        BackupResult second = backup(sink, app1, source);
        assertThat(source.opened.get()).as("files read by the second backup").isEqualTo(opened);
        assertThat(second.snapshot().parent()).contains(first.id());
        assertThat(objects(sink, "tree/")).as("tree packs after the second backup").isEqualTo(trees);

        // Another writer, without any parent: it reads every file, and deduplicates data and trees against the id
        // parts of the index objects app1 wrote (which list tree blob ids too).
        BackupResult third = backup(sink, app2, source);
        assertThat(source.opened.get()).isEqualTo(opened + source.files.size());
        assertThat(third.snapshot().stats().bytesNew()).isZero();
        assertThat(objects(sink, "tree/")).as("tree packs after another writer's backup").isEqualTo(trees);
        Map<String, byte[]> again = restore(sink, third.snapshot().id());
        source.files.forEach((path, content) -> assertThat(again.get(path)).as(path).isEqualTo(content));
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            assertThat(repo.snapshots()).extracting(Snapshot::id)
                    .containsExactly(first.id(), second.snapshot().id(), third.snapshot().id());
            assertThat(repo.verify(true).ok()).as(repo.verify(true).toString()).isTrue();
        }
    }

    @Test
    void an_untrusted_writers_tree_snapshot_is_not_listed_restored_cached_or_taken_as_a_readers_parent() {
        InMemorySink sink = repository(Layout.CHUNKED, keys.edPublic());
        WriterKey app1 = export(sink, "app1");
        CountingSource source = nested();
        Snapshot written = backup(sink, app1, source).snapshot();
        Path cache = temp.resolve("reader-cache");
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret())).withCache(cache)) {
            // trusted while app1 is not revoked, and listed through the reader's local cache of snapshot heads
            assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(written.id());
        }
        try (KeyManager manager = KeyManager.open(sink, keys.edSecret())) {
            // a stolen key: nothing it signed is kept, so its tree snapshot (root and subtrees) is no longer trusted
            manager.revokeWriter("app1", Optional.of(java.time.Instant.EPOCH));
        }
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret())).withCache(cache)) {
            assertThat(repo.snapshots()).as("the cache must not vouch for a writer's snapshot").isEmpty();
            assertThat(repo.untrustedSnapshots()).extracting(u -> u.snapshot().id()).containsExactly(written.id());
            assertThatThrownBy(() -> repo.restore(SnapshotSelector.parse(written.id())).to(new MemoryTarget()).run())
                    .isInstanceOf(com.mintreplica.backup.core.BackupException.class);
            assertThatThrownBy(() -> repo.openEntry(written, "etc/hosts"))
                    .isInstanceOf(com.mintreplica.backup.core.BackupException.class);

            // A reader's backup of the same host and source does not take the writer's tree as its parent (it would
            // reuse the blob ids the writer put in its trees without reading the files): every file is read.
            int opened = source.opened.get();
            BackupResult mine = Backup.pipeline().source(source).to(repo).host("app1").build().run();
            assertThat(mine.snapshot().parent()).isEmpty();
            assertThat(source.opened.get() - opened).isEqualTo(source.files.size());
            assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(mine.snapshot().id());
        }
        Map<String, byte[]> restored = restore(sink, nestedLatest(sink));
        source.files.forEach((path, content) -> assertThat(restored.get(path)).as(path).isEqualTo(content));
    }

    private String nestedLatest(InMemorySink sink) {
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            List<Snapshot> all = repo.snapshots();
            return all.get(all.size() - 1).id();
        }
    }

    /**
     * Issue 12: a writer's parent cache is written from runs sorted on disk and read a directory at a time, so two
     * backups (the first, then an unchanged one served by the cache) of 300,000 files fit a 64 MiB heap. Before, the
     * cache was a list of every file at the end of a backup and a manifest of every file (plus its map by path) at
     * the start of the next: the forked JVM ran out of memory.
     */
    @Test
    @Timeout(900)
    void a_writers_backups_of_many_files_fit_a_small_heap_and_the_unchanged_one_reads_no_file() throws Exception {
        int files = 300_000;
        Path repository = temp.resolve("repository");
        com.mintreplica.backup.core.sink.LocalDirectorySink sink = new com.mintreplica.backup.core.sink.LocalDirectorySink(repository);
        try (Repository ignored = Repository.init(sink, RepositorySettings.defaults().withLayout(Layout.CHUNKED),
                OpenPgpEncryption.to(keys.edPublic()))) {
            // created
        }
        Path key = temp.resolve("many.key");
        try (KeyManager manager = KeyManager.open(sink, keys.edSecret())) {
            manager.exportWriter("many").write(key);
        }
        Path log = temp.resolve("worker.log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                WriterBackupWorker.class.getName(), repository.toString(), key.toString(),
                temp.resolve("many-cache").toString(), Integer.toString(files));
        Process worker = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(worker.waitFor(600, java.util.concurrent.TimeUnit.SECONDS)).as("the worker ends in time").isTrue();
        } finally {
            worker.destroyForcibly();
        }
        String output = Files.readString(log);
        assertThat(worker.exitValue()).as("exit status of the worker at -Xmx64m; its output:%n%s", tail(output)).isZero();
        System.out.println(output); // the backups and the heap's peak, for the record
        List<String> lines = output.lines().filter(l -> l.startsWith("backup ")).toList();
        assertThat(lines).hasSize(2);
        String first = lines.get(0).split(" ")[2];
        long entries = files + files / WriterBackupWorker.PER_DIRECTORY;
        assertThat(lines.get(0)).contains("opened=" + files + " ", "entries=" + entries + " ", "parent=-");
        assertThat(lines.get(1)).as("the unchanged backup takes every file from the cache")
                .contains("opened=0 ", "read=0 ", "entries=" + entries + " ", "parent=" + first);
        try (Stream<Path> left = Files.walk(temp.resolve("many-cache"))) {
            assertThat(left.filter(Files::isRegularFile).filter(WriterKeyTest::parentCacheFile).toList())
                    .as("one parent cache file, no runs left").hasSize(1);
        }

        // what the second backup stored (every file from the cache) is what a reader restores: a directory of it
        String second = lines.get(1).split(" ")[2];
        try (Repository repo = Repository.open(sink, OpenPgpEncryption.unlockWith(keys.edSecret()))) {
            MemoryTarget target = new MemoryTarget();
            repo.restore(SnapshotSelector.parse(second)).include("d0123").to(target).run();
            assertThat(target.files().keySet().stream().filter(p -> p.startsWith("d0123/")).count())
                    .isEqualTo(WriterBackupWorker.PER_DIRECTORY);
            assertThat(target.files().get("d0123/f0123456.txt")).isEqualTo(WriterBackupWorker.content("d0123"));
        }
    }

    private static String tail(String output) {
        return output.length() <= 4000 ? output : output.substring(output.length() - 4000);
    }
}
