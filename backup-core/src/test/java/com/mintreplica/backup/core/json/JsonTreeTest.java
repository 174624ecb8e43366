package com.mintreplica.backup.core.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTreeTest {

    private static Map<String, Object> parse(String json) throws IOException {
        return JsonTree.parseObject(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void reads_every_kind_of_value_in_document_order() throws IOException {
        Map<String, Object> m = parse("{\"z\":\"s\",\"a\":42,\"f\":1.5,\"t\":true,\"n\":null,\"l\":[1,\"x\",{\"k\":false}],"
                + "\"o\":{\"in\":-7}}\n");
        assertThat(m.keySet()).containsExactly("z", "a", "f", "t", "n", "l", "o");
        assertThat(m.get("a")).isEqualTo(42L);
        assertThat(m.get("f")).isEqualTo(1.5d);
        assertThat(m.get("t")).isEqualTo(Boolean.TRUE);
        assertThat(m).containsEntry("n", null);
        assertThat(JsonTree.list(m, "l")).containsExactly(1L, "x", Map.of("k", false));
        assertThat(JsonTree.intValue(JsonTree.object(m, "o"), "in")).isEqualTo(-7);
        assertThat(JsonTree.string(m, "z")).isEqualTo("s");
    }

    @Test
    void refuses_anything_but_exactly_one_object_with_an_io_exception_of_the_jdk() {
        for (String bad : List.of("[1]", "\"s\"", "{\"a\":1} {}", "{\"a\":1} x", "{\"a\":", "{\"a\" 1}", "")) {
            assertThatThrownBy(() -> parse(bad)).as(bad).isExactlyInstanceOf(IOException.class);
        }
    }

    @Test
    void every_truncation_of_a_document_is_refused() {
        byte[] doc = "{\"id\":\"abc\",\"keys\":[{\"n\":1},{\"n\":2}],\"ok\":true}".getBytes(StandardCharsets.UTF_8);
        for (int n = 0; n < doc.length; n++) {
            byte[] cut = Arrays.copyOf(doc, n);
            assertThatThrownBy(() -> JsonTree.parseObject(cut)).as("first %d bytes", n).isInstanceOf(IOException.class);
        }
    }

    @Test
    void typed_getters_name_the_field_that_is_missing_or_of_the_wrong_type() throws IOException {
        Map<String, Object> m = parse("{\"n\":1,\"s\":\"x\",\"big\":4294967296}");
        assertThatThrownBy(() -> JsonTree.string(m, "n")).hasMessageContaining("'n'").hasMessageContaining("not a string");
        assertThatThrownBy(() -> JsonTree.string(m, "gone")).hasMessageContaining("'gone' is missing");
        assertThatThrownBy(() -> JsonTree.string(null, "x")).hasMessageContaining("'x' is missing");
        assertThatThrownBy(() -> JsonTree.intValue(m, "s")).hasMessageContaining("'s'");
        assertThatThrownBy(() -> JsonTree.intValue(m, "big")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> JsonTree.object(m, "n")).hasMessageContaining("not an object");
        assertThatThrownBy(() -> JsonTree.list(m, "s")).hasMessageContaining("not a list");
    }
}
