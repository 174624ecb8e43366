package com.mintreplica.backup.cli;

import static com.mintreplica.backup.cli.Packages.bareEnvironment;
import static com.mintreplica.backup.cli.Packages.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The .deb as dpkg sees it (dpkg-deb -I, -c, -x): its name, version and Java 17 dependency, each file where Debian
 * puts it, a systemd unit that runs the installed command, and a /usr/bin/mint-backup that runs from the unpacked
 * tree. (.ci/run installs it with dpkg -i and runs the demo through /usr/bin/mint-backup.)
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DebianPackageIT {
    private static final Map<String, String> PATH = Map.of("PATH", "/usr/bin:/bin:/usr/sbin:/sbin");

    @TempDir
    Path temp;

    @Test
    void the_control_fields_name_the_package_its_version_and_a_java_17_runtime() throws Exception {
        String deb = Packages.deb().toString();
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : List.of("Package", "Version", "Architecture", "Depends", "Section", "Description")) {
            fields.put(field, ok(List.of("dpkg-deb", "-f", deb, field), PATH, temp).strip());
        }
        assertThat(fields.get("Package")).isEqualTo("mint-backup");
        assertThat(fields.get("Architecture")).isEqualTo("all");
        // the project's version, as Debian orders it (a -SNAPSHOT sorts before its release: 0.1.0~snapshot < 0.1.0)
        String expected = Packages.version().replaceFirst("-SNAPSHOT$", "~snapshot");
        assertThat(fields.get("Version")).isEqualTo(expected);
        ok(List.of("dpkg", "--validate-version", fields.get("Version")), PATH, temp);
        // openjdk-17-jre-headless (Debian 12) provides both; a newer runtime provides java-runtime-headless (= N)
        assertThat(Arrays.stream(fields.get("Depends").split("\\s*\\|\\s*")).toList())
                .containsExactly("java17-runtime-headless", "java-runtime-headless (>= 17)");
        assertThat(fields.get("Description")).startsWith("back up directories and databases");
        // dpkg-deb -I: the control archive holds the control file and the checksums dpkg verifies files with
        assertThat(ok(List.of("dpkg-deb", "-I", deb), PATH, temp)).contains(" control ").contains(" md5sums ")
                .contains(" postinst ").contains(" prerm ").contains(" triggers ");
    }

    /**
     * The postinst makes the class-data-sharing archive where dpkg put the jar (bin/mint-backup-cds; .ci/run installs
     * the package with dpkg -i and checks the archive is there), again when a Java runtime changes, and prerm removes
     * it. Here the script runs in the tree dpkg-deb -x unpacks, and that tree's launcher starts from the archive.
     */
    @Test
    void the_maintainer_scripts_make_and_remove_the_class_data_sharing_archive_the_command_starts_from() throws Exception {
        String deb = Packages.deb().toString();
        Path control = temp.resolve("control");
        ok(List.of("dpkg-deb", "-e", deb, control.toString()), PATH, temp);
        assertThat(Files.readString(control.resolve("postinst"))).contains("configure|triggered)")
                .contains("/usr/share/mint-backup/bin/mint-backup-cds");
        assertThat(Files.readString(control.resolve("prerm"))).contains("rm -f /usr/share/mint-backup/lib/mint-backup.jsa");
        assertThat(Files.readString(control.resolve("triggers")).lines()).contains("interest-noawait /usr/lib/jvm");
        assertThat(Files.isExecutable(control.resolve("postinst")) && Files.isExecutable(control.resolve("prerm"))).isTrue();

        Path root = Files.createDirectories(temp.resolve("root"));
        ok(List.of("dpkg-deb", "-x", deb, root.toString()), PATH, temp);
        Path elsewhere = Files.createDirectories(temp.resolve("elsewhere"));
        Packages.assertCdsArchiveMadeAndUsed(root.resolve("usr/share/mint-backup/bin"), Packages.bareEnvironment(elsewhere),
                elsewhere);
    }

    @Test
    void the_files_are_where_debian_puts_them_and_the_unpacked_command_runs() throws Exception {
        String deb = Packages.deb().toString();
        String listing = ok(List.of("dpkg-deb", "-c", deb), PATH, temp);
        Map<String, String> modes = new LinkedHashMap<>();
        for (String line : listing.split("\n")) {
            String[] f = line.trim().split("\\s+", 6);
            modes.put(f[5], f[0] + " " + f[1]);
        }
        assertThat(modes).containsKeys("./usr/share/mint-backup/lib/mint-backup.jar",
                "./lib/systemd/system/mint-backup.service", "./usr/share/bash-completion/completions/mint-backup",
                "./usr/share/man/man1/mint-backup.1.gz", "./usr/share/man/man1/mint-backup-daemon.1.gz",
                "./usr/share/doc/mint-backup/examples/mint-backup.yaml",
                "./usr/share/doc/mint-backup/examples/config-example.yaml",
                "./usr/share/doc/mint-backup/examples/mint-backup.cron", "./etc/mint-backup/", "./var/log/mint-backup/");
        assertThat(modes).containsEntry("./usr/bin/mint-backup -> ../share/mint-backup/bin/mint-backup", "lrw-r--r-- root/root");
        assertThat(modes).containsEntry("./usr/share/mint-backup/bin/mint-backup", "-rwxr-xr-x root/root");
        assertThat(modes.values()).allMatch(v -> v.endsWith(" root/root"));
        // no example is installed as a live config: the daemon must not start on an example's jobs
        assertThat(modes.keySet()).noneMatch(p -> p.startsWith("./etc/mint-backup/") && !p.equals("./etc/mint-backup/"));

        Path root = Files.createDirectories(temp.resolve("root"));
        ok(List.of("dpkg-deb", "-x", deb, root.toString()), PATH, temp);
        String unit = Files.readString(root.resolve("lib/systemd/system/mint-backup.service"));
        assertThat(unit.lines().map(String::strip).toList()).contains("[Unit]", "[Service]", "[Install]",
                "ExecStart=/usr/bin/mint-backup daemon --config /etc/mint-backup/mint-backup.yaml",
                "ConditionPathExists=/etc/mint-backup/mint-backup.yaml", "WantedBy=multi-user.target");
        assertThat(Files.readString(root.resolve("usr/share/doc/mint-backup/examples/mint-backup.cron")))
                .contains("mint-backup run -q --config /etc/mint-backup/mint-backup.yaml");

        // /usr/bin/mint-backup is a relative link: from the unpacked tree it runs that tree's launcher and jar
        Path elsewhere = Files.createDirectories(temp.resolve("elsewhere"));
        String version = ok(List.of(root.resolve("usr/bin/mint-backup").toString(), "--version"), bareEnvironment(elsewhere),
                elsewhere);
        assertThat(version).startsWith("mint-backup " + Packages.version() + "\n");
    }
}
