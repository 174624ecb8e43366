package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The name table the CLI finds a command line's command in says what the commands' own annotations say. */
class CommandNamesTest {
    @Test
    void every_name_and_alias_of_every_command_and_no_other() {
        Map<String, Class<?>> fromAnnotations = new HashMap<>();
        for (Class<?> command : MintBackup.COMMANDS) {
            CommandLine.Command spec = command.getAnnotation(CommandLine.Command.class);
            fromAnnotations.put(spec.name(), command);
            for (String alias : spec.aliases()) {
                fromAnnotations.put(alias, command);
            }
        }
        assertThat(MintBackup.NAMES).isEqualTo(fromAnnotations);
        // and the model the CLI parses with has the same names
        assertThat(MintBackup.model().getSubcommands().keySet()).containsAll(fromAnnotations.keySet());
    }

    @Test
    void the_first_argument_that_is_no_option_names_the_command() {
        assertThat(MintBackup.commandNamed(new String[] {"-q", "--audit-log", "backup", "check", "--repo", "r"}))
                .isEqualTo(VerifyCommand.class);
        assertThat(MintBackup.commandNamed(new String[] {"snapshots"})).isEqualTo(ListCommand.class);
        assertThat(MintBackup.commandNamed(new String[] {"--version"})).isNull();
        assertThat(MintBackup.commandNamed(new String[] {"nonsense", "backup"})).isNull();
        assertThat(MintBackup.commandNamed(List.of("wal-fetch", "x").toArray(String[]::new))).isEqualTo(WalFetchCommand.class);
    }

    /**
     * Every command's usage renders as written: picocli reads descriptions as format strings, and a lone '%' ("x% of
     * the packs") made it print "[picocli WARN] Could not format ..." on every run of any command.
     */
    @Test
    void every_usage_message_formats_without_a_picocli_warning() {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            usage(MintBackup.model());
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("picocli WARN");
    }

    private static void usage(CommandLine command) {
        assertThat(command.getUsageMessage()).isNotBlank();
        command.getSubcommands().values().stream().distinct().forEach(CommandNamesTest::usage);
    }
}
