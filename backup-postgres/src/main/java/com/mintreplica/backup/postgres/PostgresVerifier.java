package com.mintreplica.backup.postgres;

import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.postgres.internal.DumpCheck;
import com.mintreplica.backup.postgres.internal.PgTools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks a stored PostgreSQL dump without restoring it: a {@link RestoreTarget} that writes nothing. The dump streams
 * from the repository (whose own checks fail on any damaged block, naming the object) into {@code pg_restore --list},
 * which must read the archive's table of contents, and, unless {@link Builder#readData(boolean) turned off}, at the
 * same time into {@code pg_restore --file=/dev/null}, which must read every data block to the end (a truncated dump
 * passes {@code --list} but not this). Then every table the backup counted must have its data in the archive. A
 * failed check throws {@link com.mintreplica.backup.core.CorruptDataException} naming the entry and the snapshot.
 *
 * <pre>{@code
 * repo.restore(SnapshotSelector.latest()).to(PostgresVerifier.builder().build()).run();
 * }</pre>
 *
 * <p>The custom format needs no temporary file; a directory-format dump is written to a temporary directory first.
 */
public final class PostgresVerifier implements RestoreTarget {
    private final Optional<Path> binDir;
    private final Map<String, String> environment;
    private final Path tempDir;
    private final boolean readData;
    private DumpCheck check;

    private PostgresVerifier(Builder b) {
        this.binDir = Optional.ofNullable(b.binDir);
        this.environment = b.environment != null ? b.environment : System.getenv();
        this.tempDir = b.tempDir != null ? b.tempDir : Path.of(System.getProperty("java.io.tmpdir"));
        this.readData = b.readData;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void begin(RestoreContext context) throws IOException {
        check = DumpCheck.begin(context.snapshot(), new PgTools(binDir, environment, PgTools.DEBIAN_ROOT), tempDir,
                readData);
    }

    @Override
    public void write(Entry entry, InputStream content) throws IOException {
        check.write(entry, content);
    }

    @Override
    public void finish() throws IOException {
        try {
            check.finish();
        } finally {
            check.close();
        }
    }

    @Override
    public void abort(Exception cause) {
        if (check != null) {
            check.close();
        }
    }

    /** Builds a {@link PostgresVerifier}. */
    public static final class Builder {
        private Path binDir;
        private Map<String, String> environment;
        private Path tempDir;
        private boolean readData = true;

        private Builder() {
        }

        /** The directory holding pg_restore; when set, nothing else is searched. */
        public Builder binDir(Path value) {
            this.binDir = Objects.requireNonNull(value, "binDir");
            return this;
        }

        /** The environment whose PATH is searched for pg_restore (default: {@link System#getenv()}). */
        public Builder environment(Map<String, String> value) {
            this.environment = Map.copyOf(value);
            return this;
        }

        /** Where a directory-format dump is unpacked to be checked (default: java.io.tmpdir). */
        public Builder tempDir(Path value) {
            this.tempDir = Objects.requireNonNull(value, "tempDir");
            return this;
        }

        /** Whether every data block is read as well as the table of contents (default true). */
        public Builder readData(boolean value) {
            this.readData = value;
            return this;
        }

        public PostgresVerifier build() {
            return new PostgresVerifier(this);
        }
    }
}
