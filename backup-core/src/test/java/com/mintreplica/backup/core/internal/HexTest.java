package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HexTest {

    @Test
    void encodes_lower_case_and_decodes_either_case() {
        byte[] bytes = {0, 1, (byte) 0xab, (byte) 0xff, 0x7f};
        assertThat(Hex.encode(bytes)).isEqualTo("0001abff7f");
        assertThat(Hex.decode("0001abff7f")).isEqualTo(bytes);
        assertThat(Hex.decode("0001ABFF7F")).isEqualTo(bytes);
        assertThat(Hex.encode(new byte[0])).isEmpty();
    }

    @Test
    void decoding_names_the_text_that_is_not_hex() {
        assertThatThrownBy(() -> Hex.decode("abc")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("abc");
        assertThatThrownBy(() -> Hex.decode("zz")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("zz");
    }

    @Test
    void object_names_are_exactly_n_lower_case_digits() {
        assertThat(Hex.isHex("00af", 4)).isTrue();
        assertThat(Hex.isHex("00AF", 4)).isFalse();
        assertThat(Hex.isHex("00ag", 4)).isFalse();
        assertThat(Hex.isHex("00a", 4)).isFalse();
        assertThat(Hex.isHex("00a-", 4)).isFalse();
    }
}
