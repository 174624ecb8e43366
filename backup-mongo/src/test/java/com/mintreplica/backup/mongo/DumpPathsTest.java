package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.mongo.internal.DumpPaths;
import org.junit.jupiter.api.Test;

/** File names as mongodump makes them (Go's url.PathEscape), and back. */
class DumpPathsTest {

    @Test
    void collection_names_are_escaped_as_mongodump_escapes_them() {
        assertThat(DumpPaths.data("mint", "ledger")).isEqualTo("mint/ledger.bson");
        assertThat(DumpPaths.metadata("mint", "ledger.2026")).isEqualTo("mint/ledger.2026.metadata.json");
        assertThat(DumpPaths.escape("a/b c%d?e")).isEqualTo("a%2Fb%20c%25d%3Fe");
        assertThat(DumpPaths.escape("fees,eur;x")).isEqualTo("fees%2Ceur%3Bx");
        assertThat(DumpPaths.escape("kept-_.~$&+=:@")).isEqualTo("kept-_.~$&+=:@");
        assertThat(DumpPaths.escape("cobranças€")).isEqualTo("cobran%C3%A7as%E2%82%AC");
    }

    @Test
    void escaped_names_read_back_to_the_original() {
        for (String name : new String[] {"ledger", "a/b c%d?e", "cobranças€", "emoji 💶", "..x"}) {
            assertThat(DumpPaths.unescape(DumpPaths.escape(name))).isEqualTo(name);
            assertThat(DumpPaths.parse(DumpPaths.data("mint", name)))
                    .contains(new DumpPaths.Parsed("mint", name, DumpPaths.Kind.DATA));
            assertThat(DumpPaths.parse(DumpPaths.metadata("mint", name)))
                    .contains(new DumpPaths.Parsed("mint", name, DumpPaths.Kind.METADATA));
        }
    }

    @Test
    void other_files_of_a_dump_are_not_collections() {
        assertThat(DumpPaths.parse("oplog.bson")).isEmpty();
        assertThat(DumpPaths.parse("prelude.json")).isEmpty();
        assertThat(DumpPaths.parse("mint/readme.txt")).isEmpty();
        assertThat(DumpPaths.parse("mint/sub/x.bson")).isEmpty();
        assertThat(DumpPaths.parse("mint/%zz.bson")).isEmpty();
    }
}
