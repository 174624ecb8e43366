package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A repository this user may not write (or read) fails with "permission denied" and the path, exit 2. Permissions do
 * not stop root, so when the tests run as root (as here) the CLI runs as {@code nobody} through {@code runuser} (or
 * {@code setpriv}), from the packaged jar (this is an IT: it runs after {@code package}); as any other user it runs
 * as that user. As root without either tool the test is skipped, and says why.
 */
@Timeout(180)
class CliPermissionsIT {
    private static final Path JAR = Path.of("target", "mint-backup.jar").toAbsolutePath();
    private Path dir;

    @BeforeEach
    void directory() throws IOException {
        // not @TempDir: its mode is 700, and the other user must reach what is inside
        dir = Files.createTempDirectory("mint-permissions-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void cleanUp() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwx------" : "rw-------"));
                Files.delete(p);
            }
        }
    }

    private static boolean root() throws Exception {
        Process p = new ProcessBuilder("id", "-u").start();
        String uid = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        p.waitFor();
        return uid.equals("0");
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    /** How to run a command as a user permissions apply to: nothing (not root), runuser or setpriv. */
    private static List<String> asOtherUser() throws Exception {
        if (!root()) {
            return List.of();
        }
        if (onPath("runuser")) {
            return List.of("runuser", "-u", "nobody", "--");
        }
        if (onPath("setpriv")) {
            return List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--");
        }
        assumeTrue(false, "the tests run as root, and neither runuser nor setpriv is here to run the CLI as a user"
                + " file permissions apply to: skipped");
        return List.of();
    }

    private record Run(int code, String output) {
    }

    private static Run cli(String... args) throws Exception {
        return cli(java.util.Map.of(), args);
    }

    private static Run cli(java.util.Map<String, String> env, String... args) throws Exception {
        assertThat(JAR).as("the packaged CLI (this IT runs after package)").exists();
        List<String> command = new ArrayList<>(asOtherUser());
        if (!env.isEmpty()) {
            command.add("env");
            env.forEach((k, v) -> command.add(k + "=" + v));
        }
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static void chmod(Path root, String directories, String files) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? directories : files));
            }
        }
    }

    @Test
    void a_read_only_repository_says_permission_denied_with_the_path() throws Exception {
        Path source = Files.writeString(dir.resolve("app.yaml"), "db: mint\n");
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
        Path repo = dir.resolve("repo");
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
        assertThat(Cli.run("backup", "--repo", repo.toString(), source.toString()).code()).isZero();
        chmod(repo, "r-xr-xr-x", "r--r--r--");

        Run list = cli("list", "--repo", repo.toString());
        assertThat(list.code()).as(list.output()).isZero();   // reading needs no write access

        Run backup = cli("backup", "--repo", repo.toString(), source.toString());
        assertThat(backup.code()).as(backup.output()).isEqualTo(2);
        assertThat(backup.output()).contains(repo.resolve("locks") + ": permission denied").doesNotContain("\tat ");

        Path readOnlyParent = Files.createDirectories(dir.resolve("readonly"));
        Files.setPosixFilePermissions(readOnlyParent, PosixFilePermissions.fromString("r-xr-xr-x"));
        Run init = cli("init", "--repo", readOnlyParent.resolve("new").toString());
        assertThat(init.code()).as(init.output()).isEqualTo(2);
        assertThat(init.output()).contains(readOnlyParent.resolve("new") + ": permission denied");
    }

    @Test
    void an_unreadable_repository_says_permission_denied_with_the_path() throws Exception {
        Path repo = dir.resolve("private");
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
        chmod(repo, "rwx------", "rw-------");

        Run list = cli("list", "--repo", repo.toString());
        assertThat(list.code()).as(list.output()).isEqualTo(2);
        assertThat(list.output()).contains(repo.resolve("config") + ": permission denied").doesNotContain("\tat ");
    }

    /**
     * The explorers' F20: a user's own read-only (0500) directory, restored once, made the second restore fail with
     * "permission denied" (the restore could not put its files into it). The user may open their own directory, and
     * the restore does so and puts the snapshot's mode back at the end, as tar and restic do.
     */
    @Test
    void a_user_restores_again_over_their_own_read_only_directories() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Path readOnly = Files.createDirectories(home.resolve("src/ro"));
        Files.writeString(readOnly.resolve("f"), "x\n");
        Files.createDirectories(home.resolve("t"));
        if (!asOtherUser().isEmpty()) {
            java.nio.file.attribute.UserPrincipal nobody = home.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName("nobody");
            try (Stream<Path> s = Files.walk(home)) {
                for (Path p : s.toList()) {
                    Files.setOwner(p, nobody);
                }
            }
        }
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-x------"));
        java.util.Map<String, String> env = java.util.Map.of("XDG_CACHE_HOME", home.resolve("cache").toString());
        String repo = home.resolve("repo").toString();
        assertThat(cli(env, "init", "-q", "--repo", repo).code()).isZero();
        Run backup = cli(env, "backup", "-q", "--repo", repo, home.resolve("src").toString());
        assertThat(backup.code()).as(backup.output()).isZero();
        Path target = home.resolve("t");
        Path restored = target.resolve(readOnly.toString().substring(1));
        for (int i = 1; i <= 2; i++) {
            Run restore = cli(env, "restore", "-q", "--repo", repo, "latest", "--target", target.toString());
            assertThat(restore.code()).as("restore " + i + ": " + restore.output()).isZero();
            assertThat(restored.resolve("f")).hasContent("x\n");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(restored))).isEqualTo("r-x------");
        }
        // the explorers' E-F7: their own directories at mode 000 (the JDK opens a directory to change its mode when
        // told not to follow links, which 000 refuses): the restore failed once with "permission denied", then passed
        String srcMode = PosixFilePermissions.toString(Files.getPosixFilePermissions(restored.getParent()));
        Files.setPosixFilePermissions(restored, PosixFilePermissions.fromString("---------"));
        Files.setPosixFilePermissions(restored.getParent(), PosixFilePermissions.fromString("---------"));
        Run closed = cli(env, "restore", "-q", "--repo", repo, "latest", "--target", target.toString());
        assertThat(closed.code()).as(closed.output()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(restored.getParent()))).isEqualTo(srcMode);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(restored))).isEqualTo("r-x------");
        assertThat(restored.resolve("f")).hasContent("x\n");

        // the explorers' C-5: --mirror stopped (exit 2) at the first extra entry it could not delete, the user's own
        // read-only directory, and left the other extras
        Path extraDir = Files.createDirectories(restored.resolveSibling("ro-extra"));
        Files.writeString(extraDir.resolve("z"), "z");
        Path extraFile = Files.writeString(restored.resolveSibling("extra.txt"), "x");
        if (!asOtherUser().isEmpty()) {
            java.nio.file.attribute.UserPrincipal nobody = home.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName("nobody");
            for (Path p : List.of(extraDir, extraDir.resolve("z"), extraFile)) {
                Files.setOwner(p, nobody);
            }
        }
        Files.setPosixFilePermissions(extraDir, PosixFilePermissions.fromString("r-x------"));
        Run mirror = cli(env, "restore", "-q", "--repo", repo, "latest", "--target", target.toString(), "--mirror");
        assertThat(mirror.code()).as(mirror.output()).isZero();
        assertThat(extraDir).doesNotExist();
        assertThat(extraFile).doesNotExist();
        assertThat(restored.resolve("f")).hasContent("x\n");
    }

    /**
     * A restore's warning is "WARN PATH: what", as an operator reads it: the logger's name (it was
     * "WARN TreeWriter - PATH: ...") said nothing to them. Root backs up a trusted.* attribute, which a user's restore
     * cannot set.
     */
    @Test
    void a_restore_warning_names_the_entry_and_no_logger() throws Exception {
        assumeTrue(root() && !asOtherUser().isEmpty(), "needs root (to set a trusted.* attribute) and a user to restore as");
        Path file = Files.writeString(Files.createDirectories(dir.resolve("src")).resolve("f"), "x\n");
        Process set = new ProcessBuilder("setfattr", "-n", "trusted.mint", "-v", "1", file.toString()).redirectErrorStream(true).start();
        set.getInputStream().readAllBytes();
        assumeTrue(set.waitFor() == 0, "setfattr (Debian's attr package) and a file system with trusted.* attributes");
        Path repo = dir.resolve("repo");
        assertThat(Cli.run("init", "-q", "--repo", repo.toString()).code()).isZero();
        assertThat(Cli.run("backup", "-q", "--repo", repo.toString(), file.getParent().toString()).code()).isZero();
        chmod(repo, "rwxrwxrwx", "rw-rw-rw-");
        Path target = Files.createDirectories(dir.resolve("t"));
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxrwxrwx"));
        Run restore = cli(java.util.Map.of("XDG_CACHE_HOME", target.resolve(".cache").toString()), "restore", "-q",
                "--repo", repo.toString(), "latest", "--target", target.toString());
        assertThat(restore.code()).as(restore.output()).isZero();
        assertThat(restore.output()).contains("WARN " + file.toString().substring(1) + ": extended attributes of the"
                + " trusted namespace are restored only when running as root").doesNotContain("TreeWriter");
    }
}
