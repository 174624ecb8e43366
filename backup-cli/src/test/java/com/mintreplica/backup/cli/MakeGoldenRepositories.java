package com.mintreplica.backup.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.Version;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.crypto.OpenPgpEncryption;
import com.mintreplica.backup.crypto.OpenPgpKeys;
import com.mintreplica.backup.crypto.OpenPgpPublicKey;
import com.mintreplica.backup.fs.DirectorySource;
import com.mintreplica.backup.testkit.gpg.GnuPG;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Makes the golden repositories of the current format version, once, by hand (see
 * {@code src/test/resources/golden/README.md}): four repositories (chunked zstd, single-object zstd, encrypted
 * chunked, encrypted single-object), each with the same three snapshots of a small tree that changes between them,
 * the OpenPGP key (with its passphrase) of the encrypted ones, and {@code expected.json}, which records every path,
 * type, mode, size and SHA-256 of each snapshot as it was on disk when it was backed up. At the end it runs the same
 * check as {@link GoldenRepositoryTest} on what it made.
 *
 * <p>Usage: {@code MakeGoldenRepositories OUTPUT_DIR} where OUTPUT_DIR is {@code .../golden/v<N>} and does not exist:
 * a version's fixtures are made once and never rewritten.
 */
public final class MakeGoldenRepositories {
    /** Where the backed-up tree lives while the fixtures are made; its path is part of every entry path. */
    static final Path DATA = Path.of("/tmp/mint-backup-golden/data");
    static final String HOST = "golden-host";
    static final String JOB = "golden";
    static final Instant[] TIMES = {
        Instant.parse("2026-01-05T10:00:00Z"), Instant.parse("2026-01-06T10:00:00Z"), Instant.parse("2026-01-07T10:00:00Z")};

    private MakeGoldenRepositories() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: MakeGoldenRepositories OUTPUT_DIR   (e.g. backup-cli/src/test/resources/golden/v1)");
            System.exit(2);
        }
        Path out = Path.of(args[0]).toAbsolutePath();
        if (Files.exists(out)) {
            System.err.println(out + " exists: the fixtures of a format version are made once and never rewritten;"
                    + " a new format version gets a new directory (v2, ...)");
            System.exit(2);
        }
        Files.createDirectories(out);
        make(out);
        Golden.Problems problems = new Golden.Problems();
        for (Golden.Repo repo : Golden.load(out)) {
            Path work = Files.createTempDirectory("golden-check");
            Golden.Problems p = Golden.check(repo, work);
            if (!p.isEmpty()) {
                problems.add(p.toString());
            }
        }
        if (!problems.isEmpty()) {
            System.err.println("the repositories made do not pass the check:\n" + problems);
            System.exit(1);
        }
        // sha256sum's format, so `sha256sum -c SHA256SUMS` checks them too
        StringBuilder sums = new StringBuilder();
        try (Stream<Path> files = Files.walk(out)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                sums.append(Golden.sha256(f)).append("  ").append(out.relativize(f).toString().replace('\\', '/')).append('\n');
            }
        }
        Files.writeString(out.resolve("SHA256SUMS"), sums.toString());
        System.out.println("golden repositories made and checked in " + out);
    }

    record Made(String name, String layout, boolean encrypted, Repository repository) {
    }

    static void make(Path out) throws Exception {
        try (GnuPG gpg = GnuPG.start()) {
            GnuPG.Key key = gpg.generate("mint-backup golden " + out.getFileName() + " <golden@mint.example>", "future-default");
            Path keyDir = Files.createDirectories(out.resolve("key"));
            Files.copy(key.secretFile(), keyDir.resolve("secret.asc"));
            Files.copy(key.publicFile(), keyDir.resolve("public.asc"));
            Files.writeString(keyDir.resolve("passphrase"), GnuPG.PASSPHRASE + "\n");
            OpenPgpPublicKey recipient = OpenPgpKeys.publicKey(keyDir.resolve("public.asc"));

            // Small chunks and packs in the chunked repositories: files of a few KiB span several chunks, and one backup
            // writes several packs. The single-object ones keep the defaults, as `init --layout single` records them.
            RepositorySettings chunked = RepositorySettings.defaults().withChunkSizes(1024, 4096, 16 * 1024).withPackSize(16 * 1024);
            RepositorySettings single = RepositorySettings.defaults().withLayout(Layout.SINGLE);
            Path repos = out.resolve("repositories");
            List<Made> made = List.of(
                    new Made("chunked-zstd", "chunked", false,
                            Repository.init(new LocalDirectorySink(repos.resolve("chunked-zstd")), chunked)),
                    new Made("single-zstd", "single", false,
                            Repository.init(new LocalDirectorySink(repos.resolve("single-zstd")), single)),
                    new Made("encrypted-chunked", "chunked", true,
                            Repository.init(new LocalDirectorySink(repos.resolve("encrypted-chunked")), chunked,
                                    OpenPgpEncryption.to(recipient))),
                    new Made("encrypted-single", "single", true,
                            Repository.init(new LocalDirectorySink(repos.resolve("encrypted-single")), single,
                                    OpenPgpEncryption.to(recipient))));

            Map<String, ArrayNode> snapshots = new LinkedHashMap<>();
            made.forEach(m -> snapshots.put(m.name(), Golden.JSON.createArrayNode()));
            for (int state = 0; state < TIMES.length; state++) {
                prepare(state);
                List<Golden.Expected> expected = describeSource();
                for (Made m : made) {
                    Snapshot s = Backup.pipeline().source(DirectorySource.of(DATA)).to(m.repository()).host(HOST)
                            .job(JOB).tags("golden", "state-" + (state + 1)).time(TIMES[state]).parallelism(1)
                            .build().run().snapshot();
                    if (!s.warnings().isEmpty()) {
                        throw new IllegalStateException(m.name() + ": the backup warned: " + s.warnings());
                    }
                    ObjectNode n = snapshots.get(m.name()).addObject();
                    n.put("id", s.id());
                    n.put("time", s.time().toString());
                    n.put("host", s.host());
                    ArrayNode tags = n.putArray("tags");
                    s.tags().forEach(tags::add);
                    n.set("entries", Golden.toJson(expected));
                }
                if (!describeSource().equals(expected)) {
                    throw new IllegalStateException("the tree changed while it was backed up: run again");
                }
            }
            made.forEach(m -> m.repository().close());

            ObjectNode root = Golden.JSON.createObjectNode();
            root.put("formatVersion", Integer.parseInt(out.getFileName().toString().substring(1)));
            root.put("madeBy", Version.tool() + " (MakeGoldenRepositories)");
            root.put("made", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
            ObjectNode keyNode = root.putObject("key");
            keyNode.put("secret", "key/secret.asc");
            keyNode.put("public", "key/public.asc");
            keyNode.put("passphrase", "key/passphrase");
            keyNode.put("fingerprint", key.fingerprint());
            ArrayNode list = root.putArray("repositories");
            for (Made m : made) {
                ObjectNode r = list.addObject();
                r.put("name", m.name());
                r.put("path", "repositories/" + m.name());
                r.put("layout", m.layout());
                r.put("encrypted", m.encrypted());
                r.set("snapshots", snapshots.get(m.name()));
            }
            Files.writeString(out.resolve(Golden.EXPECTED), Golden.JSON.writeValueAsString(root) + "\n");
        } finally {
            deleteTree(DATA.getParent());
        }
    }

    /** The source tree as a restore of it must give it back: the ancestors of DATA (without times), then the tree. */
    static List<Golden.Expected> describeSource() throws IOException {
        List<Golden.Expected> out = new ArrayList<>();
        Path p = DATA.getRoot();
        for (Path name : DATA.getParent()) {
            p = p.resolve(name);
            out.add(Golden.describeOne(p, DATA.getRoot().relativize(p).toString(), false));
        }
        String prefix = DATA.getRoot().relativize(DATA).toString();
        out.add(Golden.describeOne(DATA, prefix, true));
        for (Golden.Expected e : Golden.describe(DATA, path -> true)) {
            out.add(new Golden.Expected(prefix + "/" + e.path(), e.type(), e.mode(), e.size(), e.sha256(), e.target(), e.mtime()));
        }
        out.sort(Comparator.comparing(Golden.Expected::path));
        return out;
    }

    /**
     * The tree of each snapshot. State 1: a directory with a text file that never changes, a file that changes, one
     * that is deleted later, an empty file, a hidden file, a name with a space, an executable, a unicode name, a
     * multi-chunk text and a multi-chunk random file, an empty directory, a symlink. State 2: the config changes, a
     * file is deleted, 100 bytes are inserted in the middle of the random file (content-defined chunking keeps its
     * other chunks), a file and a symlink to a directory are added. State 3: a mode changes without the content, the
     * config and the unicode file change, the text grows, the directory symlink goes, a nested directory comes.
     */
    static void prepare(int state) throws IOException {
        Instant t = TIMES[state].minus(Duration.ofHours(1));
        switch (state) {
            case 0 -> {
                deleteTree(DATA.getParent());
                Files.createDirectories(DATA);
                file("README.txt", "mint-backup golden repository: this file never changes.\n", "rw-r--r--", t);
                file("config.yaml", "retention: daily\nrevision: 1\n", "rw-------", t);
                file("old-notes.txt", "deleted before the second snapshot\n", "rw-r--r--", t);
                file("empty.txt", "", "rw-r--r--", t);
                file(".hidden", "a dot file\n", "rw-------", t);
                file("a b.txt", "a name with a space\n", "rw-r--r--", t);
                file("bin/run.sh", "#!/bin/sh\necho golden\n", "rwxr-xr-x", t);
                file("docs/R\u00e9sum\u00e9 \u2013 \u5c65\u6b74\u66f8.txt", "Gr\u00fc\u00dfe, \u4e16\u754c\n", "rw-r--r--", t);
                file("docs/manual.txt", words(24 * 1024, 11), "rw-r--r--", t);
                bytes("big.bin", random(24 * 1024, 12), "rw-r-----", t);
                Files.createDirectories(DATA.resolve("empty-dir"));
                Files.createSymbolicLink(DATA.resolve("link-to-readme"), Path.of("README.txt"));
                mode("docs", "rwxr-x---");
                mode("empty-dir", "rwx------");
            }
            case 1 -> {
                file("config.yaml", "retention: daily\nrevision: 2\n", "rw-------", t);
                Files.delete(DATA.resolve("old-notes.txt"));
                byte[] old = Files.readAllBytes(DATA.resolve("big.bin"));
                byte[] inserted = new byte[old.length + 100];
                System.arraycopy(old, 0, inserted, 0, 12_000);
                System.arraycopy(random(100, 13), 0, inserted, 12_000, 100);
                System.arraycopy(old, 12_000, inserted, 12_100, old.length - 12_000);
                bytes("big.bin", inserted, "rw-r-----", t);
                file("docs/new.txt", "added in the second snapshot\n", "rw-r--r--", t);
                Files.createSymbolicLink(DATA.resolve("docs-link"), Path.of("docs"));
            }
            case 2 -> {
                mode("bin/run.sh", "rwx------");
                file("config.yaml", "retention: monthly\nrevision: 3\n", "rw-------", t);
                file("docs/R\u00e9sum\u00e9 \u2013 \u5c65\u6b74\u66f8.txt", "Gr\u00fc\u00dfe, \u4e16\u754c (3)\n", "rw-r--r--", t);
                Files.writeString(DATA.resolve("docs/manual.txt"), "appended in the third snapshot\n", StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.APPEND);
                Golden.setTime(DATA.resolve("docs/manual.txt"), t);
                Files.delete(DATA.resolve("docs-link"));
                file("nested/deeper/leaf.txt", "a leaf\n", "rw-r--r--", t);
            }
            default -> throw new IllegalArgumentException("state " + state);
        }
        // Directory times last (their entries changed them), deepest first; whole seconds, so every file system keeps them.
        try (Stream<Path> dirs = Files.walk(DATA)) {
            for (Path d : dirs.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                Golden.setTime(d, t);
            }
        }
        Files.setPosixFilePermissions(DATA.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(DATA, PosixFilePermissions.fromString("rwxr-xr-x"));
        Golden.setTime(DATA, t);
    }

    private static void file(String path, String content, String mode, Instant time) throws IOException {
        bytes(path, content.getBytes(StandardCharsets.UTF_8), mode, time);
    }

    private static void bytes(String path, byte[] content, String mode, Instant time) throws IOException {
        Path p = DATA.resolve(path);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        Golden.setTime(p, time);
    }

    private static void mode(String path, String mode) throws IOException {
        Files.setPosixFilePermissions(DATA.resolve(path), PosixFilePermissions.fromString(mode));
    }

    /** Text of about {@code n} bytes: seeded pseudo-random words, one line per ten. */
    static String words(int n, long seed) {
        String[] vocabulary = {"ledger", "backup", "restore", "snapshot", "chunk", "pack", "index", "manifest", "mint",
            "replica", "budget", "account", "transfer", "balance", "monthly", "daily", "verify", "prune", "key", "seed"};
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder(n + 16);
        int w = 0;
        while (sb.length() < n) {
            sb.append(vocabulary[random.nextInt(vocabulary.length)]).append(random.nextInt(1000));
            sb.append(++w % 10 == 0 ? '\n' : ' ');
        }
        return sb.toString();
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
