package com.mintreplica.backup.postgres.physical.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a physical base backup into an empty data directory: {@code pgdata/...} into it, {@code tablespaces/OID/...}
 * where the tablespace was (or where {@code tablespaceMap} moves it), {@code pg_tblspc/OID} pointing there, then, in
 * {@link #finish}, the recovery settings appended to {@code postgresql.auto.conf} and {@code recovery.signal}.
 * Directories get mode 0700 and files 0600 (what PostgreSQL demands); run as root, everything is given to the owner of
 * the target directory (or, when it does not exist yet, of its parent), so the server can run as that user.
 */
public final class PgDataTarget implements RestoreTarget {
    private final Path dataDir;
    private final Map<String, String> tablespaceMap;
    private final Map<String, String> settings;
    private final boolean signal;
    private final Map<String, Path> tablespaces = new LinkedHashMap<>();
    private UserPrincipal owner;
    private GroupPrincipal group;

    /**
     * @param tablespaceMap new locations of tablespaces, by OID or by their original path
     * @param settings appended to {@code postgresql.auto.conf} (values quoted here)
     * @param signal whether to write {@code recovery.signal}
     */
    public PgDataTarget(Path dataDir, Map<String, String> tablespaceMap, Map<String, String> settings, boolean signal) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.tablespaceMap = Map.copyOf(tablespaceMap);
        this.settings = new LinkedHashMap<>(settings);
        this.signal = signal;
    }

    /** Fails unless {@code dir} is absent or an empty directory. */
    public static void checkEmpty(Path dir, String what) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new InvalidInputException(what + " '" + dir + "' is not a directory");
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent()) {
                throw new InvalidInputException(what + " '" + dir + "' is not empty: a physical restore writes a whole"
                        + " data directory and never into an existing one; give an empty or new directory");
            }
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + what + " '" + dir + "': " + e.getMessage(), e);
        }
    }

    /** Where each tablespace of {@code facts} goes: its original place unless {@code map} moves it by OID or path. */
    public static Map<String, Path> tablespaces(Map<String, String> facts, Map<String, String> map) {
        Map<String, Path> out = new LinkedHashMap<>();
        String prefix = "postgresql.physical.tablespace.";
        facts.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                String oid = k.substring(prefix.length());
                String to = map.getOrDefault(oid, map.getOrDefault(v, v));
                out.put(oid, Path.of(to).toAbsolutePath().normalize());
            }
        });
        return out;
    }

    @Override
    public void begin(RestoreContext context) throws IOException {
        checkEmpty(dataDir, "the target directory");
        tablespaces.putAll(tablespaces(context.snapshot().facts(), tablespaceMap));
        for (Path p : tablespaces.values()) {
            checkEmpty(p, "the tablespace directory");
        }
        Path ownerOf = Files.exists(dataDir) ? dataDir : dataDir.getParent();
        if (isRoot() && ownerOf != null) {
            PosixFileAttributes a = Files.readAttributes(ownerOf, PosixFileAttributes.class);
            owner = a.owner();
            group = a.group();
        }
        mkdir(dataDir);
        for (Path p : tablespaces.values()) {
            mkdir(p);
        }
    }

    @Override
    public void write(Entry entry, InputStream content) throws IOException {
        Path to = resolve(entry.path());
        if (to == null) {
            return;
        }
        switch (entry.type()) {
            case DIRECTORY -> mkdir(to);
            case SYMLINK -> {
                String name = entry.path();
                String oid = name.substring(name.lastIndexOf('/') + 1);
                Path target = name.startsWith("pgdata/pg_tblspc/") && tablespaces.containsKey(oid)
                        ? tablespaces.get(oid) : Path.of(entry.linkTarget().orElseThrow());
                Files.createDirectories(to.getParent());
                Files.createSymbolicLink(to, target);
                own(to);
            }
            case REGULAR -> {
                Files.createDirectories(to.getParent());
                try (OutputStream out = Files.newOutputStream(to, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
                    content.transferTo(out);
                }
                Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-------"));
                own(to);
            }
            default -> { }
        }
    }

    private Path resolve(String path) {
        if (path.equals("pgdata")) {
            return dataDir;
        }
        if (path.startsWith("pgdata/")) {
            return dataDir.resolve(path.substring("pgdata/".length()));
        }
        if (path.startsWith("tablespaces/")) {
            String rest = path.substring("tablespaces/".length());
            int slash = rest.indexOf('/');
            String oid = slash < 0 ? rest : rest.substring(0, slash);
            Path root = tablespaces.get(oid);
            if (root == null) {
                throw new InvalidInputException("the snapshot holds tablespace " + oid + " but no location for it");
            }
            return slash < 0 ? root : root.resolve(rest.substring(slash + 1));
        }
        return null; // nothing else belongs in a data directory
    }

    @Override
    public void finish() throws IOException {
        Path map = dataDir.resolve("tablespace_map");
        if (Files.exists(map)) {
            // PostgreSQL re-creates pg_tblspc's links from this file: it must name the new places
            StringBuilder b = new StringBuilder();
            for (String line : Files.readAllLines(map, StandardCharsets.UTF_8)) {
                int space = line.indexOf(' ');
                String oid = space < 0 ? line : line.substring(0, space);
                b.append(tablespaces.containsKey(oid) ? oid + " " + tablespaces.get(oid) : line).append('\n');
            }
            Files.writeString(map, b.toString(), StandardCharsets.UTF_8);
        }
        if (!settings.isEmpty()) {
            Path auto = dataDir.resolve("postgresql.auto.conf");
            StringBuilder b = new StringBuilder("\n# Recovery settings written by mint-backup restore\n");
            settings.forEach((k, v) -> b.append(k).append(" = '").append(v.replace("'", "''")).append("'\n"));
            Files.writeString(auto, b.toString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            Files.setPosixFilePermissions(auto, PosixFilePermissions.fromString("rw-------"));
            own(auto);
        }
        if (signal) {
            Path s = dataDir.resolve("recovery.signal");
            Files.writeString(s, "");
            Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rw-------"));
            own(s);
        }
    }

    private void mkdir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        own(dir);
    }

    private void own(Path p) throws IOException {
        if (owner != null) {
            PosixFileAttributeView v = Files.getFileAttributeView(p, PosixFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            v.setOwner(owner);
            v.setGroup(group);
        }
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
