package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceId;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The kit's order check: it passes sources that keep the SourceReader order and fails those that do not. */
class SourceContractOrderTest {

    /** A kit over fixed files (no directory entries: the directories above them are implicit). */
    private static SourceContract kit(Map<String, byte[]> files) {
        return new SourceContract() {
            @Override
            protected Source newSource() {
                return SampleSource.of(new SourceId("sample", "order"), files);
            }

            @Override
            protected RestoreTarget newTarget() {
                return new MemoryTarget();
            }

            @Override
            protected void assertRestored(RestoreTarget target) {
            }
        };
    }

    private static Map<String, byte[]> files(String... paths) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String p : paths) {
            out.put(p, p.getBytes());
        }
        return out;
    }

    @Test
    void a_dump_of_files_in_directories_it_does_not_name_keeps_the_order() throws Exception {
        kit(files("shop/orders.bson", "shop/orders.metadata.json", "crm/people.bson", "globals.sql"))
                .the_entries_below_a_directory_come_together_and_nothing_lies_below_a_file();
    }

    @Test
    void entries_of_a_directory_that_come_back_after_another_fail_the_kit() {
        assertThatThrownBy(() -> kit(files("shop/orders.bson", "crm/people.bson", "shop/items.bson"))
                .the_entries_below_a_directory_come_together_and_nothing_lies_below_a_file())
                .isInstanceOf(AssertionError.class).hasMessageContaining("shop/items.bson");
    }

    @Test
    void an_entry_below_a_file_fails_the_kit() {
        assertThatThrownBy(() -> kit(files("shop", "shop/orders.bson"))
                .the_entries_below_a_directory_come_together_and_nothing_lies_below_a_file())
                .isInstanceOf(AssertionError.class).hasMessageContaining("not a directory");
    }
}
