package com.mintreplica.backup.core.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FileNamesTest {

    @Test
    void every_byte_string_round_trips() {
        Random random = new Random(14);
        for (int i = 0; i < 20_000; i++) {
            byte[] name = new byte[1 + random.nextInt(24)];
            random.nextBytes(name);
            if (i % 3 == 0) {
                // mostly valid UTF-8 with a few stray bytes, as real names are
                byte[] text = ("ünïcødé-€-😀-" + i).getBytes(StandardCharsets.UTF_8);
                System.arraycopy(text, 0, name, 0, Math.min(text.length, name.length));
            }
            String decoded = FileNames.decode(name);
            assertThat(FileNames.encode(decoded)).as("round trip of %s", java.util.Arrays.toString(name)).isEqualTo(name);
        }
    }

    @Test
    void valid_utf8_is_plain_unicode_and_invalid_bytes_are_escaped() {
        assertThat(FileNames.decode("ünïcødé".getBytes(StandardCharsets.UTF_8))).isEqualTo("ünïcødé");
        assertThat(FileNames.isUtf8("ünïcødé")).isTrue();
        String bad = FileNames.decode(new byte[] {'b', (byte) 0xff, (byte) 0xfe});
        assertThat(bad).isEqualTo("b\udcff\udcfe");
        assertThat(FileNames.isUtf8(bad)).isFalse();
        assertThat(FileNames.display(bad)).isEqualTo("b\\xff\\xfe");
        assertThat(FileNames.display("new\nline")).isEqualTo("new\\nline");
    }

    @Test
    void names_that_a_lossy_decoding_would_merge_stay_apart() {
        // bad-\xff\xfe.bin and the replacement characters' own bytes: one name each (issue 13's collision)
        byte[] invalid = {'b', 'a', 'd', '-', (byte) 0xff, (byte) 0xfe, '.', 'b', 'i', 'n'};
        byte[] replacement = "bad-\ufffd\ufffd.bin".getBytes(StandardCharsets.UTF_8);
        Set<String> names = new HashSet<>();
        names.add(FileNames.decode(invalid));
        names.add(FileNames.decode(replacement));
        assertThat(names).hasSize(2);
        assertThat(new String(invalid, StandardCharsets.UTF_8)).isEqualTo(new String(replacement, StandardCharsets.UTF_8));
    }
}
