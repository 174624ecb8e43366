package com.mintreplica.backup.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.UnsupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding pg_dump and checking its version, with small scripts that print a version as pg_dump does. */
class PgToolsTest {
    @TempDir
    Path dir;

    private Path fakeTool(Path binDir, String name, String version) throws Exception {
        Files.createDirectories(binDir);
        Path script = binDir.resolve(name);
        Files.writeString(script, "#!/bin/sh\necho '" + name + " (PostgreSQL) " + version + " (Debian)'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    @Test
    void versions_compare_by_major_as_postgresql_numbers_them() {
        assertThat(PgTools.majorOf("15.4")).isEqualTo(PgTools.majorOfVersionNum(150004));
        assertThat(PgTools.majorOf("9.6.24")).isEqualTo(PgTools.majorOfVersionNum(90624));
        assertThat(PgTools.majorOf("9.6.24")).isLessThan(PgTools.majorOf("10.1"));
        assertThat(PgTools.majorOf("9.5.1")).isLessThan(PgTools.majorOf("9.6.0"));
        assertThat(PgTools.majorText(PgTools.majorOf("16.2"))).isEqualTo("16");
        assertThat(PgTools.majorText(PgTools.majorOf("9.6.2"))).isEqualTo("9.6");
    }

    @Test
    void a_configured_directory_is_the_only_place_searched() throws Exception {
        Path onPath = fakeTool(dir.resolve("path"), "pg_dump", "15.3");
        Path configured = dir.resolve("configured");
        Files.createDirectories(configured);
        PgTools tools = new PgTools(Optional.of(configured), Map.of("PATH", onPath.getParent().toString()),
                dir.resolve("root"));
        assertThatThrownBy(() -> tools.find("pg_dump", PgTools.majorOf("15.0"), "the server 15.3"))
                .isInstanceOf(UnsupportedException.class)
                .hasMessageContaining("pg_dump not found in the configured PostgreSQL binary directory " + configured);
    }

    @Test
    void a_missing_pg_dump_names_every_place_looked_in() {
        PgTools tools = new PgTools(Optional.empty(), Map.of("PATH", dir.resolve("nothing").toString()),
                dir.resolve("root"));
        assertThatThrownBy(() -> tools.find("pg_dump", PgTools.majorOf("15.0"), "the server 15.3"))
                .isInstanceOf(UnsupportedException.class)
                .hasMessageContaining("pg_dump not found")
                .hasMessageContaining(dir.resolve("nothing").toString())
                .hasMessageContaining(dir.resolve("root").toString())
                .hasMessageContaining("postgresql-client-15");
    }

    @Test
    void an_old_pg_dump_on_path_gives_way_to_the_versioned_directory_matching_the_server() throws Exception {
        fakeTool(dir.resolve("path"), "pg_dump", "13.9");
        Path matching = fakeTool(dir.resolve("root/16/bin"), "pg_dump", "16.2");
        fakeTool(dir.resolve("root/17/bin"), "pg_dump", "17.1");
        PgTools tools = new PgTools(Optional.empty(), Map.of("PATH", dir.resolve("path").toString()),
                dir.resolve("root"));
        PgTools.Tool found = tools.find("pg_dump", PgTools.majorOf("16.0"), "the server 16.1");
        assertThat(found.path()).isEqualTo(matching);
        assertThat(found.version()).isEqualTo("16.2");
    }

    @Test
    void a_pg_dump_on_path_that_does_not_run_gives_way_to_one_that_does() throws Exception {
        Path broken = dir.resolve("path/pg_dump");
        Files.createDirectories(broken.getParent());
        Files.writeString(broken, "#!/bin/sh\necho 'Error: no cluster to choose a version from' >&2\nexit 1\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path notPgDump = fakeTool(dir.resolve("other"), "pg_dump", "x");
        Files.writeString(notPgDump, "#!/bin/sh\necho 'some other tool 1.0'\n");
        Path working = fakeTool(dir.resolve("root/16/bin"), "pg_dump", "16.2");
        String path = broken.getParent() + ":" + notPgDump.getParent();
        PgTools tools = new PgTools(Optional.empty(), Map.of("PATH", path), dir.resolve("root"));

        PgTools.Tool found = tools.find("pg_dump", PgTools.majorOf("16.0"), "the server 16.1");
        assertThat(found.path()).isEqualTo(working);

        // with nothing that runs, the error names each one and why
        PgTools none = new PgTools(Optional.empty(), Map.of("PATH", path), dir.resolve("empty-root"));
        assertThatThrownBy(() -> none.find("pg_dump", PgTools.majorOf("16.0"), "the server 16.1"))
                .isInstanceOf(UnsupportedException.class)
                .hasMessageContaining(broken.toString()).hasMessageContaining("exit code 1")
                .hasMessageContaining(notPgDump.toString()).hasMessageContaining("names no PostgreSQL version")
                .hasMessageContaining("postgresql-client-16");
    }

    @Test
    void a_pg_dump_older_than_the_server_fails_naming_both_versions_and_the_binary() throws Exception {
        Path old = fakeTool(dir.resolve("path"), "pg_dump", "12.3");
        PgTools tools = new PgTools(Optional.empty(), Map.of("PATH", old.getParent().toString()), dir.resolve("root"));
        assertThatThrownBy(() -> tools.find("pg_dump", PgTools.majorOf("15.0"), "the server (PostgreSQL 15.2 at db:5432)"))
                .isInstanceOf(UnsupportedException.class)
                .hasMessageContaining("pg_dump 12.3")
                .hasMessageContaining(old.toString())
                .hasMessageContaining("PostgreSQL 15.2 at db:5432")
                .hasMessageContaining("at least major version 15");
    }
}
