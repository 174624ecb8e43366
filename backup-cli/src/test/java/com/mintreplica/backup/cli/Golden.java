package com.mintreplica.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The golden repositories under {@code src/test/resources/golden/v<N>/} (see the README there): what each one's
 * {@code expected.json} records, how a tree on disk is described the same way, and the check that every build runs on
 * every golden repository through the real CLI (list, ls, verify --read-data, restore, compare). Shared by
 * {@link MakeGoldenRepositories}, which runs the same check on what it made, and {@link GoldenRepositoryTest}.
 */
final class Golden {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final String EXPECTED = "expected.json";

    private Golden() {
    }

    /**
     * One entry as a restore must give it back. Mode is the permission bits (with setuid, setgid, sticky) in octal;
     * size and sha256 only for files; target only for symlinks; mtime (whole seconds, UTC) for files and directories
     * whose time the maker fixed, absent where the time is not the maker's (the ancestors of the data root).
     */
    record Expected(String path, String type, String mode, Long size, String sha256, String target, String mtime) {
        ObjectNode toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("path", path);
            n.put("type", type);
            if (mode != null) {
                n.put("mode", mode);
            }
            if (size != null) {
                n.put("size", size);
            }
            if (sha256 != null) {
                n.put("sha256", sha256);
            }
            if (target != null) {
                n.put("target", target);
            }
            if (mtime != null) {
                n.put("mtime", mtime);
            }
            return n;
        }

        static Expected fromJson(JsonNode n) {
            return new Expected(n.get("path").asText(), n.get("type").asText(), text(n, "mode"),
                    n.hasNonNull("size") ? n.get("size").asLong() : null, text(n, "sha256"), text(n, "target"),
                    text(n, "mtime"));
        }

        /** This entry without the mtime, for comparisons where the other side does not know it. */
        Expected withoutTime() {
            return new Expected(path, type, mode, size, sha256, target, null);
        }
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    /** The entries of a snapshot as recorded in expected.json. */
    record ExpectedSnapshot(String id, String time, String host, List<String> tags, List<Expected> entries) {
    }

    /** One golden repository: where it is, how to open it, and its snapshots. */
    record Repo(String version, String name, Path directory, String layout, boolean encrypted, List<String> keyArgs,
                List<ExpectedSnapshot> snapshots) {
        @Override
        public String toString() {
            return version + "/" + name;
        }
    }

    /** Every golden repository of one version directory ({@code .../golden/v1}). */
    static List<Repo> load(Path versionDir) {
        try {
            JsonNode root = JSON.readTree(versionDir.resolve(EXPECTED).toFile());
            List<Repo> out = new ArrayList<>();
            for (JsonNode r : root.get("repositories")) {
                List<String> keyArgs = new ArrayList<>();
                if (r.get("encrypted").asBoolean()) {
                    JsonNode key = root.get("key");
                    keyArgs.addAll(List.of("--key", versionDir.resolve(key.get("secret").asText()).toString(),
                            "--passphrase-file", versionDir.resolve(key.get("passphrase").asText()).toString()));
                }
                List<ExpectedSnapshot> snapshots = new ArrayList<>();
                for (JsonNode s : r.get("snapshots")) {
                    List<String> tags = new ArrayList<>();
                    s.get("tags").forEach(t -> tags.add(t.asText()));
                    List<Expected> entries = new ArrayList<>();
                    s.get("entries").forEach(e -> entries.add(Expected.fromJson(e)));
                    snapshots.add(new ExpectedSnapshot(s.get("id").asText(), s.get("time").asText(),
                            s.get("host").asText(), tags, entries));
                }
                out.add(new Repo(versionDir.getFileName().toString(), r.get("name").asText(),
                        versionDir.resolve(r.get("path").asText()), r.get("layout").asText(),
                        r.get("encrypted").asBoolean(), keyArgs, snapshots));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- describing trees

    /**
     * The entries below {@code root} (not {@code root} itself), sorted by path, as a restore of a snapshot into
     * {@code root} leaves them. {@code timed} says which paths carry an mtime in expectations.
     */
    static List<Expected> describe(Path root, java.util.function.Predicate<String> timed) {
        TreeMap<String, Expected> out = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (p.equals(root)) {
                    continue;
                }
                String path = root.relativize(p).toString().replace('\\', '/');
                out.put(path, describeOne(p, path, timed.test(path)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(out.values());
    }

    static Expected describeOne(Path p, String path, boolean timed) throws IOException {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink()) {
            return new Expected(path, "symlink", null, null, null, Files.readSymbolicLink(p).toString(), null);
        }
        String mode = String.format("%04o", ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777);
        String mtime = timed ? a.lastModifiedTime().toInstant().truncatedTo(ChronoUnit.SECONDS).toString() : null;
        if (a.isDirectory()) {
            return new Expected(path, "dir", mode, null, null, null, mtime);
        }
        return new Expected(path, "file", mode, a.size(), sha256(p), null, mtime);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void setTime(Path p, Instant time) throws IOException {
        Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(FileTime.from(time), null, null);
    }

    // ---- the check every build runs

    /** What went wrong in a check, for one message listing everything. */
    static final class Problems {
        private final List<String> problems = new ArrayList<>();

        void add(String problem) {
            problems.add(problem);
        }

        boolean isEmpty() {
            return problems.isEmpty();
        }

        @Override
        public String toString() {
            return String.join("\n", problems);
        }
    }

    /**
     * Lists, ls-es, verifies (with --read-data) and restores every snapshot of {@code repo} through the CLI, working on
     * a copy in {@code work} so the fixture is never touched, and compares everything with the expectation.
     */
    static Problems check(Repo repo, Path work) {
        Problems problems = new Problems();
        Path copy = work.resolve("repository");
        copyTree(repo.directory(), copy);
        String r = copy.toString();

        Cli.Result list = cli(repo, problems, "list", "--repo", r, "--json");
        if (list != null) {
            try {
                JsonNode listed = JSON.readTree(list.out());
                List<String> ids = new ArrayList<>();
                listed.forEach(s -> ids.add(s.get("id").asText()));
                List<String> expectedIds = repo.snapshots().stream().map(ExpectedSnapshot::id).toList();
                if (!ids.equals(expectedIds)) {
                    problems.add(repo + ": list shows " + ids + ", expected " + expectedIds);
                }
                for (JsonNode s : listed) {
                    ExpectedSnapshot e = repo.snapshots().stream().filter(x -> x.id().equals(s.get("id").asText()))
                            .findFirst().orElse(null);
                    if (e == null) {
                        continue;
                    }
                    List<String> tags = new ArrayList<>();
                    s.get("tags").forEach(t -> tags.add(t.asText()));
                    if (!s.get("time").asText().equals(e.time()) || !s.get("host").asText().equals(e.host())
                            || !tags.equals(e.tags()) || s.get("entries").asLong() != e.entries().size()) {
                        problems.add(repo + ": snapshot " + e.id() + " is listed as " + s + ", expected time " + e.time()
                                + ", host " + e.host() + ", tags " + e.tags() + ", " + e.entries().size() + " entries");
                    }
                }
            } catch (IOException e) {
                problems.add(repo + ": list --json printed no JSON: " + e.getMessage());
            }
        }

        cli(repo, problems, "verify", "--repo", r, "--read-data");

        for (ExpectedSnapshot snapshot : repo.snapshots()) {
            checkLs(repo, snapshot, r, problems);
            cli(repo, problems, "verify", "--repo", r, "--read-data", snapshot.id());
            Path target = work.resolve("restore-" + snapshot.id());
            if (cli(repo, problems, "restore", "--repo", r, snapshot.id(), "--target", target.toString()) != null) {
                compare(repo + " snapshot " + snapshot.id() + " restored", snapshot.entries(),
                        describe(target, path -> true), problems);
            }
        }
        return problems;
    }

    private static void checkLs(Repo repo, ExpectedSnapshot snapshot, String r, Problems problems) {
        Cli.Result ls = cli(repo, problems, "ls", "--repo", r, snapshot.id(), "--json");
        if (ls == null) {
            return;
        }
        List<Expected> listed = new ArrayList<>();
        try {
            for (JsonNode e : JSON.readTree(ls.out())) {
                String type = switch (e.get("type").asText()) {
                    case "regular" -> "file";
                    case "directory" -> "dir";
                    default -> e.get("type").asText();
                };
                String mode = e.hasNonNull("mode") && !type.equals("symlink")
                        ? String.format("%04o", Integer.parseInt(e.get("mode").asText(), 8)) : null;
                listed.add(new Expected(e.get("path").asText(), type, mode,
                        type.equals("file") && e.hasNonNull("size") ? e.get("size").asLong() : null, null,
                        text(e, "link"), null));
            }
        } catch (IOException e) {
            problems.add(repo + ": ls --json printed no JSON: " + e.getMessage());
            return;
        }
        List<Expected> expected = snapshot.entries().stream()
                .map(e -> new Expected(e.path(), e.type(), e.mode(), e.size(), null, e.target(), null)).toList();
        compare(repo + " snapshot " + snapshot.id() + " ls", expected,
                listed.stream().sorted(java.util.Comparator.comparing(Expected::path)).toList(), problems);
    }

    /** Compares entry by entry; an mtime is compared only where the expectation has one. */
    static void compare(String what, List<Expected> expected, List<Expected> actual, Problems problems) {
        Map<String, Expected> byPath = new LinkedHashMap<>();
        actual.forEach(a -> byPath.put(a.path(), a));
        for (Expected e : expected) {
            Expected a = byPath.remove(e.path());
            if (a == null) {
                problems.add(what + ": '" + e.path() + "' is missing");
                continue;
            }
            Expected compared = e.mtime() == null ? a.withoutTime() : a;
            if (!Objects.equals(e, compared)) {
                problems.add(what + ": '" + e.path() + "' is " + compared + ", expected " + e);
            }
        }
        byPath.keySet().forEach(p -> problems.add(what + ": '" + p + "' is there but not expected"));
    }

    private static Cli.Result cli(Repo repo, Problems problems, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(repo.keyArgs());
        Cli.Result result = Cli.run(all.toArray(String[]::new));
        if (result.code() != 0) {
            problems.add(repo + ": `mint-backup " + String.join(" ", args) + "` failed: " + result);
            return null;
        }
        return result;
    }

    static void copyTree(Path from, Path to) {
        try {
            Files.walkFileTree(from, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ArrayNode toJson(List<Expected> entries) {
        ArrayNode a = JSON.createArrayNode();
        entries.forEach(e -> a.add(e.toJson()));
        return a;
    }
}
