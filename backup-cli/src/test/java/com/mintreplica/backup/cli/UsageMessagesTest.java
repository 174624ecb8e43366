package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What the CLI says when it cannot go on: the heap ran out (a size above the one it had, and what needs the heap), or
 * no command was given (the commands there are).
 */
class UsageMessagesTest {
    @Test
    void mint_backup_alone_lists_the_commands() {
        // it printed the options and no command (explorers' D-9)
        Cli.Result bare = Cli.run();
        assertThat(bare.code()).isEqualTo(MintBackup.USAGE);
        assertThat(bare.out()).contains("Commands:").contains("backup").contains("restore").contains("rewrite");
    }

    @Test
    void the_advice_is_twice_the_heap_it_had_and_names_large_directories() {
        // it advised -Xmx256m to a JVM that had 256 MiB, and to one that had 512 (explorers' D-7)
        assertThat(MintBackup.outOfMemory(247L << 20)).contains("its maximum is 247 MiB").contains("JAVA_OPTS=-Xmx512m")
                .contains("a directory of many entries").doesNotContain("-Xmx256m");
        assertThat(MintBackup.outOfMemory(494L << 20)).contains("JAVA_OPTS=-Xmx1g");
        assertThat(MintBackup.outOfMemory(40L << 20)).contains("JAVA_OPTS=-Xmx256m");
        assertThat(MintBackup.outOfMemory(3000L << 20)).contains("JAVA_OPTS=-Xmx8g");
    }
}
