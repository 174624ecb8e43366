package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.fs.HostileTree;
import com.mintreplica.backup.testkit.fs.TreeFacts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/mint-backup (the packaged jar) forked with an empty environment, as under cron or on a rescue shell (LANG unset),
 * and with LANG=C.UTF-8: the hostile tree backs up and restores name for name, attribute for attribute, either way.
 * Also the JVM settings the launcher chooses unless JAVA_OPTS does, and what it says when the heap runs out.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CliLocaleIT {
    @TempDir
    Path temp;

    /** This JVM's java: the launcher finds none itself under env -i (no PATH). */
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private record Run(int code, String out) {
    }

    /** The launcher of this checkout, by its own absolute path. */
    private static final String LAUNCHER = Path.of("..", "bin", "mint-backup").toAbsolutePath().normalize().toString();

    private static Run launcher(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(LAUNCHER));
        command.addAll(List.of(args));
        return fork(command, env);
    }

    private static Run fork(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear(); // env -i
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void TMPDIR_is_where_the_JVM_puts_temporary_files_unless_JAVA_OPTS_says_otherwise() throws Exception {
        // A restore spills its plan to java.io.tmpdir, which the JVM sets to /tmp whatever TMPDIR says.
        Path tmp = Files.createDirectories(temp.resolve("my tmp"));
        Run run = launcher(Map.of("JAVA", JAVA, "TMPDIR", tmp.toString(), "JAVA_OPTS", "-XshowSettings:properties"),
                "--version");
        assertThat(run.code()).as(run.out()).isZero();
        assertThat(run.out()).contains("java.io.tmpdir = " + tmp + "\n");
        Path other = Files.createDirectories(temp.resolve("other"));
        Run explicit = launcher(Map.of("JAVA", JAVA, "TMPDIR", tmp.toString(),
                "JAVA_OPTS", "-XshowSettings:properties -Djava.io.tmpdir=" + other), "--version");
        assertThat(explicit.code()).as(explicit.out()).isZero();
        assertThat(explicit.out()).contains("java.io.tmpdir = " + other + "\n");
        Run unset = launcher(Map.of("JAVA", JAVA, "JAVA_OPTS", "-XshowSettings:properties"), "--version");
        assertThat(unset.out()).contains("java.io.tmpdir = /tmp\n");
    }

    @Test
    void large_arrays_go_to_the_old_generation_of_the_serial_collector_unless_JAVA_OPTS_says_otherwise()
            throws Exception {
        // Data in flight (chunks, encoded blobs, pack ranges) outlives many young collections, which copied it.
        String flag = "PretenureSizeThreshold\\s+= ";
        Run defaults = launcher(Map.of("JAVA", JAVA, "JAVA_OPTS", "-XX:+PrintFlagsFinal"), "--version");
        assertThat(defaults.code()).as(defaults.out()).isZero();
        assertThat(defaults.out()).containsPattern("UseSerialGC\\s+= true").containsPattern(flag + "262144\\s");
        Run explicit = launcher(Map.of("JAVA", JAVA, "JAVA_OPTS", "-XX:+PrintFlagsFinal -XX:PretenureSizeThreshold=0"),
                "--version");
        assertThat(explicit.out()).containsPattern(flag + "0\\s");
        Run parallel = launcher(Map.of("JAVA", JAVA, "JAVA_OPTS", "-XX:+PrintFlagsFinal -XX:+UseParallelGC"), "--version");
        assertThat(parallel.out()).containsPattern("UseParallelGC\\s+= true").containsPattern(flag + "0\\s");
    }

    @Test
    void the_heap_takes_transparent_huge_pages_where_the_kernel_gives_them_on_request_unless_JAVA_OPTS_says_otherwise()
            throws Exception {
        // A page fault per 4 KiB the heap commits (and commits again as the serial collector shrinks and grows it).
        Path setting = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        String kernel = Files.isReadable(setting) ? Files.readString(setting) : "";
        String flag = "UseTransparentHugePages\\s+= ";
        Run defaults = launcher(Map.of("JAVA", JAVA, "JAVA_OPTS", "-XX:+PrintFlagsFinal"), "--version");
        assertThat(defaults.code()).as(defaults.out()).isZero();
        // with "always" every process has them already; with "never" the JVM would warn on the operator's terminal
        assertThat(defaults.out()).as(kernel).containsPattern(flag + (kernel.contains("[madvise]") ? "true" : "false"));
        assertThat(defaults.out()).doesNotContain("VM warning");
        Run off = launcher(Map.of("JAVA", JAVA, "JAVA_OPTS", "-XX:+PrintFlagsFinal -XX:-UseTransparentHugePages"),
                "--version");
        assertThat(off.out()).containsPattern(flag + "false");
        Run plain = launcher(Map.of("JAVA", JAVA), "--version");
        assertThat(plain.out()).as("nothing but the version").startsWith("mint-backup ").doesNotContain("warning");
    }

    @Test
    void run_by_its_own_path_the_launcher_starts_no_program_but_java() throws Exception {
        // Each program the launcher starts costs about 4 ms on the bench VM, and a short command is a second: readlink,
        // dirname and sed ran on every start (18 ms). readlink still runs when the launcher or java is a link.
        Path strace = Path.of("/usr/bin/strace");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(strace), "strace is not installed");
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.isSymbolicLink(Path.of(JAVA)), JAVA + " is a link");
        Path trace = temp.resolve("execve.trace");
        Run run = fork(List.of(strace.toString(), "-f", "-qq", "-e", "trace=execve", "-o", trace.toString(), LAUNCHER,
                "--version"), Map.of("JAVA", JAVA));
        assertThat(run.code()).as(run.out()).isZero();
        java.util.regex.Pattern execve = java.util.regex.Pattern.compile("execve\\(\"([^\"]+)\".*\\) = 0");
        List<String> started = new ArrayList<>();
        for (String line : Files.readAllLines(trace)) {
            java.util.regex.Matcher m = execve.matcher(line);
            if (m.find()) {
                started.add(m.group(1));
            }
        }
        assertThat(started).containsExactly(LAUNCHER, JAVA);
    }

    @Test
    void a_heap_too_small_for_the_data_in_flight_is_named_with_what_to_do_and_leaves_no_lease() throws Exception {
        // 192 MiB of random content in 64 MiB files. The budgets, the chunker's buffer and the workers' encodings shrink
        // with the heap (SmallHeapIT: 64 MiB is enough), but not below one and a half of the largest chunks for the
        // chunker and one average chunk for each budget: 40 MiB is too small.
        Path tree = Files.createDirectories(temp.resolve("large"));
        java.util.Random random = new java.util.Random(7);
        byte[] block = new byte[1 << 20];
        for (int f = 0; f < 3; f++) {
            try (java.io.OutputStream out = Files.newOutputStream(tree.resolve("f" + f + ".bin"))) {
                for (int m = 0; m < 64; m++) {
                    random.nextBytes(block);
                    out.write(block);
                }
            }
        }
        String repo = temp.resolve("repo").toString();
        assertThat(launcher(Map.of("JAVA", JAVA), "init", "--repo", repo).code()).isZero();
        Run small = launcher(Map.of("JAVA", JAVA, "JAVA_OPTS", "-Xmx40m"), "backup", "--repo", repo, tree.toString());
        assertThat(small.code()).as(small.out()).isEqualTo(MintBackup.FAILED);
        assertThat(small.out()).contains("mint-backup: the Java heap ran out of memory (its maximum is ",
                "JAVA_OPTS=-Xmx").doesNotContain("Exception in thread", "\tat ");
        Run fits = launcher(Map.of("JAVA", JAVA, "JAVA_OPTS", "-Xmx128m"), "backup", "--repo", repo, tree.toString());
        assertThat(fits.code()).as("a larger heap backs it up (no lease was left behind): " + fits.out()).isZero();
        Path restored = temp.resolve("restored");
        Run restore = launcher(Map.of("JAVA", JAVA, "JAVA_OPTS", "-Xmx128m"), "restore", "--repo", repo, "latest",
                "--target", restored.toString());
        assertThat(restore.code()).as(restore.out()).isZero();
        for (int f = 0; f < 3; f++) {
            Path name = Path.of("f" + f + ".bin");
            assertThat(Files.mismatch(tree.resolve(name), restored.resolve(tree.toString().substring(1)).resolve(name)))
                    .isEqualTo(-1L);
        }
    }

    @Test
    void the_hostile_tree_round_trips_through_the_launcher_with_LANG_unset_with_C_UTF_8_and_with_LC_ALL_C() throws Exception {
        HostileTree tree = HostileTree.create(temp.resolve("tree"), 16L << 20);
        Map<String, Map<String, String>> expected = TreeFacts.describe(tree.root());
        expected.values().removeIf(f -> f.get("type").equals("socket"));
        // LC_ALL=C forces every category: an argument that is not ASCII could not be named (it said "cannot decode")
        for (Map<String, String> locale : List.of(Map.<String, String>of(), Map.of("LANG", "C.UTF-8"), Map.of("LC_ALL", "C"))) {
            Map<String, String> env = new HashMap<>(locale);
            env.put("JAVA", JAVA); // no PATH under env -i
            String name = locale.isEmpty() ? "unset" : locale.containsKey("LC_ALL") ? "lc-all-c" : "utf8";
            String repo = temp.resolve("repo-" + name).toString();
            Path restore = temp.resolve("restore-" + name);
            assertThat(launcher(env, "init", "--repo", repo).code()).isZero();
            Run backup = launcher(env, "backup", "--repo", repo, tree.root().toString());
            assertThat(backup.code()).as(backup.out()).isZero();
            assertThat(backup.out()).doesNotContain("Malformed").doesNotContain("Exception");
            Run restored = launcher(env, "restore", "--repo", repo, "latest", "--target", restore.toString());
            assertThat(restored.code()).as(restored.out()).isZero();
            Map<String, Map<String, String>> actual = TreeFacts.describe(restore.resolve(tree.root().toString().substring(1)));
            assertThat(TreeFacts.differences(expected, actual, TreeFacts.ATTRIBUTES)).as("LANG %s", name).isEmpty();
            // a source path that is not ASCII, given as an argument
            Path unicode = HostileTree.at(tree.root().resolve("names"), "ünïcødé".getBytes(StandardCharsets.UTF_8));
            Run byName = launcher(env, "backup", "--repo", repo, unicode.toString());
            assertThat(byName.code()).as(byName.out()).isZero();
            Run ls = launcher(env, "ls", "--repo", repo, "latest");
            assertThat(ls.out()).contains("ünïcødé/café €.txt");
        }
        // java -jar without the launcher, LANG unset: the argument cannot be decoded, and the CLI says so at once
        Path unicode = HostileTree.at(tree.root().resolve("names"), "ünïcødé".getBytes(StandardCharsets.UTF_8));
        Run raw = fork(List.of(JAVA, "-jar",
                Path.of("target", "mint-backup.jar").toAbsolutePath().toString(), "backup", "--repo",
                temp.resolve("repo-unset").toString(), unicode.toString()), Map.of());
        assertThat(raw.code()).as(raw.out()).isEqualTo(2);
        assertThat(raw.out()).contains("cannot decode").contains("LC_ALL=C.UTF-8");
        assertThat(Files.exists(temp.resolve("repo-unset"))).isTrue();
    }

    /**
     * Explorers' A-F7: a source path whose name is not valid UTF-8, given as an argument, was "no such file or
     * directory" (the JVM decodes arguments, and U+FFFD names nothing). backup now takes its exact bytes from the
     * kernel's copy of the command line, in any locale; another command says what it cannot take. The shell makes the
     * byte: a Java string cannot put 0xff into another process's arguments.
     */
    @Test
    void a_source_path_that_is_not_utf_8_backs_up_by_its_bytes_in_any_locale() throws Exception {
        byte[] name = {'b', 'a', 'd', (byte) 0xff};
        Path dir = HostileTree.at(temp, name);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("z"), "zz\n");
        for (Map<String, String> locale : List.of(Map.<String, String>of(), Map.of("LANG", "C.UTF-8"), Map.of("LC_ALL", "C"))) {
            Map<String, String> env = new HashMap<>(locale);
            env.put("JAVA", JAVA);
            String repo = temp.resolve("repo-" + locale.hashCode()).toString();
            Path restore = temp.resolve("restore-" + locale.hashCode());
            assertThat(launcher(env, "init", "--repo", repo).code()).isZero();
            Run backup = fork(List.of("/bin/sh", "-c", "cd \"$2\" && exec \"$0\" backup --repo \"$1\" \"$(printf 'bad\\377')\"",
                    LAUNCHER, repo, temp.toString()), env);
            assertThat(backup.code()).as("%s: %s", locale, backup.out()).isZero();
            assertThat(backup.out()).contains("saved: ").contains("(3 B read");
            // another spelling of the same path: its exact bytes still, and the same source (its parent is found)
            Run again = fork(List.of("/bin/sh", "-c", "cd \"$2\" && exec \"$0\" backup --repo \"$1\" \"./$(printf 'bad\\377')/.\"",
                    LAUNCHER, repo, temp.toString()), env);
            assertThat(again.code()).as("%s: %s", locale, again.out()).isZero();
            assertThat(again.out()).contains("(0 B read");
            assertThat(launcher(env, "list", "--repo", repo).out()).contains("/bad\\xff").doesNotContain("\ufffd");
            Run restored = launcher(env, "restore", "--repo", repo, "latest", "--target", restore.toString());
            assertThat(restored.code()).as(restored.out()).isZero();
            Path back = HostileTree.at(restore.resolve(temp.toString().substring(1)), name).resolve("z");
            assertThat(back).as("%s", locale).hasContent("zz");
            Run ls = fork(List.of("/bin/sh", "-c", "exec \"$0\" ls --repo \"$1\" latest \"$(printf 'x\\377')\"",
                    LAUNCHER, repo), env);
            assertThat(ls.code()).isEqualTo(2);
            assertThat(ls.out()).contains("the argument 'x\\xff' is not valid UTF-8").doesNotContain("Exception");
        }
    }

    /**
     * Explorers' E-F2: under a working directory whose name is not valid UTF-8, a relative source path (itself valid
     * UTF-8 or not) was "no such file or directory": the JVM names the working directory by the string it decoded, with
     * U+FFFD for the byte. The source is now made absolute against the directory's exact bytes.
     */
    @Test
    void a_relative_source_path_under_a_working_directory_that_is_not_utf_8_backs_up() throws Exception {
        byte[] name = {'c', 'w', 'd', (byte) 0xfe};
        Path cwd = HostileTree.at(temp, name);
        Files.createDirectories(cwd.resolve("logs"));
        Files.writeString(cwd.resolve("logs").resolve("app.log"), "log line\n");
        Path odd = HostileTree.at(cwd, new byte[] {'o', 'd', 'd', (byte) 0xff});
        Files.createDirectories(odd);
        Files.writeString(odd.resolve("z"), "zz\n");
        for (Map<String, String> locale : List.of(Map.<String, String>of(), Map.of("LANG", "C.UTF-8"))) {
            Map<String, String> env = new HashMap<>(locale);
            env.put("JAVA", JAVA);
            String repo = temp.resolve("repo-cwd-" + locale.hashCode()).toString();
            assertThat(launcher(env, "init", "--repo", repo).code()).isZero();
            // the shell's glob names the directory by its bytes (a Java string cannot hold 0xfe); cd takes them
            Run logs = fork(List.of("/bin/sh", "-c", "cd \"$2\"/cwd* && exec \"$0\" backup --repo \"$1\" ./logs/../logs",
                    LAUNCHER, repo, temp.toString()), env);
            assertThat(logs.code()).as("%s: %s", locale, logs.out()).isZero();
            assertThat(logs.out()).contains("saved: ").contains("(9 B read");
            assertThat(launcher(env, "list", "--repo", repo).out()).contains("/cwd\\xfe/logs").doesNotContain("\ufffd");
            Path restore = temp.resolve("restore-cwd-" + locale.hashCode());
            Run restored = launcher(env, "restore", "--repo", repo, "latest", "--target", restore.toString());
            assertThat(restored.code()).as(restored.out()).isZero();
            Path back = HostileTree.at(restore.resolve(temp.toString().substring(1)), name);
            assertThat(back.resolve("logs").resolve("app.log")).as("%s", locale).hasContent("log line");

            // a relative path that is not UTF-8 either: its bytes, under the directory's
            Run both = fork(List.of("/bin/sh", "-c", "cd \"$2\"/cwd* && exec \"$0\" backup --repo \"$1\""
                    + " \"$(printf 'odd\\377')\"", LAUNCHER, repo, temp.toString()), env);
            assertThat(both.code()).as("%s: %s", locale, both.out()).isZero();
            assertThat(launcher(env, "list", "--repo", repo).out()).contains("/cwd\\xfe/odd\\xff").doesNotContain("\ufffd");
            Run again = launcher(env, "restore", "--repo", repo, "latest", "--target", restore.toString());
            assertThat(again.code()).as(again.out()).isZero();
            assertThat(HostileTree.at(back, new byte[] {'o', 'd', 'd', (byte) 0xff}).resolve("z")).hasContent("zz");
        }
    }

    @Test
    void output_that_cannot_be_written_fails_the_command_and_says_why() throws Exception {
        // `mint-backup cat ... > file` on a full disk left a cut file and exited 0: /dev/full fails every write with
        // ENOSPC, as a full file system does.
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/full")), "no /dev/full here");
        Path tree = Files.createDirectories(temp.resolve("t"));
        byte[] content = new byte[3 << 20];
        new java.util.Random(1).nextBytes(content);
        Files.write(tree.resolve("big.bin"), content);
        String repo = temp.resolve("repo").toString();
        Map<String, String> env = Map.of("JAVA", JAVA);
        assertThat(launcher(env, "init", "--repo", repo).code()).isZero();
        assertThat(launcher(env, "backup", "--repo", repo, tree.toString()).code()).isZero();

        ProcessBuilder pb = new ProcessBuilder(LAUNCHER, "cat", "--repo", repo, "latest",
                tree.resolve("big.bin").toString().substring(1)).redirectOutput(new java.io.File("/dev/full"));
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();

        assertThat(p.exitValue()).as(err).isEqualTo(1);
        assertThat(err).contains("could not be written").contains("No space left on device").doesNotContain("Exception");
    }
}
