package com.mintreplica.backup.cli;

import static com.mintreplica.backup.cli.Packages.bareEnvironment;
import static com.mintreplica.backup.cli.Packages.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * mint-backup-VERSION.tar.gz, unpacked by tar into a directory of its own, runs from another working directory and
 * through a symbolic link, with an environment without LANG (as under cron), and its example config runs.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DistributionIT {
    @TempDir
    Path temp;

    private Path unpack() throws Exception {
        Path opt = Files.createDirectories(temp.resolve("opt"));
        ok(List.of("tar", "-xzf", Packages.tarball().toString(), "-C", opt.toString()), Map.of("PATH", "/usr/bin:/bin"), temp);
        Path home = opt.resolve("mint-backup-" + Packages.version());
        assertThat(home).isDirectory();
        return home;
    }

    @Test
    void the_unpacked_tarball_has_its_parts_and_backs_up_and_restores_from_elsewhere_with_LANG_unset() throws Exception {
        Path home = unpack();
        for (String part : List.of("lib/mint-backup.jar", "etc/mint-backup.yaml", "docs/config-example.yaml",
                "systemd/mint-backup.service", "cron/mint-backup.cron", "man/man1/mint-backup.1",
                "man/man1/mint-backup-backup.1", "completion/mint-backup", "README.txt")) {
            assertThat(home.resolve(part)).as(part).isRegularFile();
        }
        // zstd's and JNA's native libraries unpacked beside the jar (NativeLibrariesIT): not unpacked into /tmp
        try (var zstd = Files.list(home.resolve("lib/native/linux/amd64"))) {
            assertThat(zstd.map(f -> f.getFileName().toString())).singleElement().asString().startsWith("libzstd-jni-");
        }
        assertThat(home.resolve("lib/native/com/sun/jna/linux-x86-64/libjnidispatch.so")).isRegularFile();
        Path launcher = home.resolve("bin/mint-backup");
        assertThat(Files.isExecutable(launcher)).as("bin/mint-backup is executable").isTrue();
        assertThat(Files.readString(home.resolve("README.txt"))).contains("mint-backup " + Packages.version())
                .doesNotContain("${");

        Path elsewhere = Files.createDirectories(temp.resolve("elsewhere"));
        Map<String, String> env = bareEnvironment(elsewhere);
        assertThat(env).doesNotContainKeys("LANG", "LC_ALL", "LC_CTYPE");
        String version = ok(List.of(launcher.toString(), "--version"), env, elsewhere);
        assertThat(version).startsWith("mint-backup " + Packages.version() + "\n");

        // through a symbolic link from another directory, as /usr/local/bin/mint-backup would be
        Path link = Files.createSymbolicLink(Files.createDirectories(temp.resolve("bin")).resolve("mint-backup"), launcher);
        String mb = link.toString();
        assertThat(ok(List.of(mb, "--version"), env, elsewhere)).isEqualTo(version);

        // relative paths (resolved against the working directory) and a name that is not ASCII, without LANG
        Path data = Files.createDirectories(elsewhere.resolve("dätä").resolve("ünïcødé"));
        Files.writeString(data.resolve("café €.txt"), "crème brûlée\n", StandardCharsets.UTF_8);
        Files.write(data.resolve("zeros.bin"), new byte[300_000]);
        ok(List.of(mb, "init", "--repo", "repo"), env, elsewhere);
        ok(List.of(mb, "backup", "--repo", "repo", "dätä"), env, elsewhere);
        assertThat(ok(List.of(mb, "ls", "--repo", "repo", "latest"), env, elsewhere)).contains("ünïcødé/café €.txt");
        ok(List.of(mb, "verify", "--repo", "repo", "--read-data"), env, elsewhere);
        ok(List.of(mb, "restore", "--repo", "repo", "latest", "--target", "restored"), env, elsewhere);
        Path restored = elsewhere.resolve("restored").resolve(elsewhere.resolve("dätä").toString().substring(1)).resolve("ünïcødé");
        assertThat(restored.resolve("café €.txt")).hasContent("crème brûlée\n");
        assertThat(Files.readAllBytes(restored.resolve("zeros.bin"))).isEqualTo(new byte[300_000]);
    }

    /** The archive cannot be shipped (it records the jar's path and JDK): README.txt says to make it after unpacking. */
    @Test
    void bin_mint_backup_cds_makes_the_class_data_sharing_archive_the_unpacked_launcher_starts_from() throws Exception {
        Path home = unpack();
        assertThat(Files.readString(home.resolve("README.txt"))).contains("/bin/mint-backup-cds");
        Path elsewhere = Files.createDirectories(temp.resolve("elsewhere"));
        Packages.assertCdsArchiveMadeAndUsed(home.resolve("bin"), bareEnvironment(elsewhere), elsewhere);
    }

    @Test
    void the_example_config_runs_its_job_once_its_paths_point_here() throws Exception {
        Path home = unpack();
        String example = Files.readString(home.resolve("etc/mint-backup.yaml"));
        Path repo = temp.resolve("backups");
        Path logs = Files.createDirectories(temp.resolve("log"));
        Path etc = Files.createDirectories(temp.resolve("etc"));
        Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n");
        String config = replace(replace(replace(example, "/var/backups/mint-backup", repo.toString()),
                "/var/log/mint-backup", logs.toString()), "paths: [/etc]", "paths: [" + etc + "]");
        Path file = temp.resolve("mint-backup.yaml");
        Files.writeString(file, config);

        String mb = home.resolve("bin/mint-backup").toString();
        Map<String, String> env = bareEnvironment(temp);
        ok(List.of(mb, "init", "--repo", repo.toString()), env, temp);
        ok(List.of(mb, "run", "--config", file.toString(), "--force"), env, temp);
        assertThat(ok(List.of(mb, "list", "--repo", repo.toString(), "--json"), env, temp)).containsPattern("\"job\"\\s*:\\s*\"etc\"");
        assertThat(logs.resolve("audit.jsonl")).isNotEmptyFile();
    }

    /**
     * What `run` prints, as the explorers read it: a failed job's error was said twice (the runner's log line and
     * run's own), and a scheduled prune was printed as a backup ("snapshot -, -3 B read").
     */
    @Test
    void run_says_a_failed_job_once_and_a_prune_as_a_prune() throws Exception {
        Path home = unpack();
        Path repo = temp.resolve("repo");
        Path file = temp.resolve("jobs.yaml");
        Files.writeString(file, """
                repositories:
                  primary:
                    location: %s
                    prune:
                      schedule: "0 4 * * *"
                jobs:
                  etc:
                    source:
                      paths: [%s]
                    repository: primary
                    schedule: "0 * * * *"
                """.formatted(repo, temp.resolve("no-such-directory")));
        String mb = home.resolve("bin/mint-backup").toString();
        Map<String, String> env = bareEnvironment(temp);
        ok(List.of(mb, "init", "-q", "--repo", repo.toString()), env, temp);
        Packages.Run failed = Packages.run(List.of(mb, "run", "--config", file.toString(), "--job", "etc", "--force"), env, temp);
        assertThat(failed.code()).as(failed.out()).isEqualTo(1);
        assertThat(failed.out().lines().filter(l -> l.contains("no-such-directory")).count()).as(failed.out()).isEqualTo(1);
        assertThat(failed.out()).startsWith("job etc failed: ").doesNotContain("WARN");
        String pruned = ok(List.of(mb, "run", "--config", file.toString(), "--job", "_prune-primary", "--force"), env, temp);
        assertThat(pruned).matches("(?s)job _prune-primary: pruned, [0-9.]+ [KMG]?i?B freed in .*").doesNotContain("read in");
    }

    private static String replace(String text, String what, String with) {
        assertThat(text).contains(what);
        return text.replace(what, with);
    }
}
