package com.mintreplica.backup.testkit.toy;

import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.testkit.DrillSupportContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The toy kind passes the kit it is an example for, its password given through its variable. */
class NotesDrillSupportTest extends DrillSupportContract {
    private Path notes;

    @Override
    protected SourceProvider provider() {
        return new NotesSourceProvider().withEnvironment(environment());
    }

    @Override
    protected Map<String, String> environment() {
        return Map.of(NotesSourceProvider.PASSWORD_VARIABLE, "kit-password");
    }

    @Override
    protected String location() throws Exception {
        notes = Files.createDirectories(kitTemp.resolve("notes"));
        Files.writeString(notes.resolve("a.note"), "one\n");
        Files.writeString(notes.resolve("b.note"), "two\n");
        Files.writeString(notes.resolve(".password"), "kit-password\n");
        return "notes://" + notes;
    }

    @Override
    protected boolean originalIntact() throws Exception {
        return Files.readString(notes.resolve("a.note")).equals("one\n") && Files.exists(notes.resolve("b.note"));
    }
}
