package com.mintreplica.backup.cli;

import static com.mintreplica.backup.cli.Packages.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The man pages and the bash completion the packages install, generated from the command model: a page for the
 * command and for each command under it that man renders, and a completion script with which bash completes
 * commands, subcommands and options.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ManualsIT {
    private static final Map<String, String> PATH = Map.of("PATH", "/usr/bin:/bin");

    @TempDir
    Path temp;

    private Path unpackDeb() throws Exception {
        Path root = Files.createDirectories(temp.resolve("root"));
        ok(List.of("dpkg-deb", "-x", Packages.deb().toString(), root.toString()), PATH, temp);
        return root;
    }

    @Test
    void every_command_and_subcommand_has_a_man_page_in_both_packages_and_man_renders_it() throws Exception {
        List<String> names = Packages.commandNames();
        assertThat(names).contains("mint-backup", "mint-backup-backup", "mint-backup-restore",
                "mint-backup-key-writer-export", "mint-backup-repair-index");
        Path man1 = unpackDeb().resolve("usr/share/man/man1");
        String tar = ok(List.of("tar", "-tzf", Packages.tarball().toString()), PATH, temp);
        for (String name : names) {
            assertThat(man1.resolve(name + ".1.gz")).as(name).isRegularFile();
            assertThat(tar).as(name).contains("mint-backup-" + Packages.version() + "/man/man1/" + name + ".1\n");
            // groff reads the page without a warning (-ww: all of them)
            Path page = temp.resolve(name + ".1");
            ok(List.of("sh", "-c", "gzip -dc '" + man1.resolve(name + ".1.gz") + "' > '" + page + "'"), PATH, temp);
            assertThat(ok(List.of("groff", "-man", "-Tutf8", "-ww", "-z", page.toString()), PATH, temp)).as(name).isEmpty();
        }
        Map<String, String> env = Map.of("PATH", "/usr/bin:/bin", "MANPAGER", "cat", "MANWIDTH", "120", "LANG", "C.UTF-8");
        String main = ok(List.of("man", "-l", man1.resolve("mint-backup.1.gz").toString()), env, temp);
        assertThat(main).contains("NAME", "mint-backup - Back up directories and databases", "SYNOPSIS", "--audit-log=F",
                "COMMANDS", "restore", "SEE ALSO", "mint-backup-restore(1)", "mint-backup " + Packages.version());
        String backup = ok(List.of("man", "-l", man1.resolve("mint-backup-backup.1.gz").toString()), env, temp);
        assertThat(backup).contains("mint-backup-backup - Back up directories", "--repo=R", "--stall-timeout=DURATION",
                "PATH|URI", "*.log, cache/**", "mint-backup(1)");
    }

    @Test
    void bash_completes_commands_subcommands_and_options_with_the_packaged_script() throws Exception {
        Path script = unpackDeb().resolve("usr/share/bash-completion/completions/mint-backup");
        assertThat(complete(script, "mint-backup re")).containsExactlyInAnyOrder("restore", "repair", "recover", "report",
                "rewrite");
        assertThat(complete(script, "mint-backup key writer ")).containsExactlyInAnyOrder("export", "list", "revoke");
        assertThat(complete(script, "mint-backup backup --st")).containsExactly("--stall-timeout");
        assertThat(complete(script, "mint-backup restore --tar")).contains("--target", "--target-database");
        // the script registers itself for the command, as bash-completion's loader expects
        assertThat(ok(List.of("bash", "-c", "source '" + script + "' 2>/dev/null; complete -p mint-backup"), PATH, temp))
                .contains("-F _complete_mint-backup").contains("mint-backup");
    }

    /** What bash offers for the line (the cursor at its end), as it would on a Tab. */
    private List<String> complete(Path script, String line) throws Exception {
        String words = line.endsWith(" ") ? line + "''" : line;
        String bash = "source '" + script + "' 2>/dev/null\n"
                + "COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(" + words + ")\n"
                + "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                + "_complete_mint-backup mint-backup 2>/dev/null\n"
                + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        return ok(List.of("bash", "-c", bash), PATH, temp).lines().filter(l -> !l.isBlank()).toList();
    }
}
