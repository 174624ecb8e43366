package com.mintreplica.backup.postgres.internal;

import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.postgres.PostgresConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a PostgreSQL client tool. The connection reaches it through its environment only ({@code PGHOST},
 * {@code PGPORT}, {@code PGUSER}, {@code PGDATABASE}, {@code PGSSLMODE}, ...), and the password through a private
 * password file ({@code PGPASSFILE}, mode 0600, deleted when the run is closed): never through its arguments, which
 * any user of the machine can read in {@code /proc}. {@code PG*} variables of this JVM's own environment are not
 * passed on. Standard error goes to a temporary file, so no thread is needed to drain it; its tail is quoted when the
 * tool fails.
 */
public final class PgProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgProcess.class);
    private static final int STDERR_TAIL = 4000;

    private final String name;
    private final Process process;
    private final Path stderr;
    private final Path passFile;
    private final Path stdoutFile;

    private PgProcess(String name, Process process, Path stderr, Path passFile, Path stdoutFile) {
        this.name = name;
        this.process = process;
        this.stderr = stderr;
        this.passFile = passFile;
        this.stdoutFile = stdoutFile;
    }

    /** How the tool's standard streams are connected. */
    public enum Io {
        /** stdin from /dev/null, stdout a pipe this JVM reads. */
        READ_STDOUT,
        /** stdin a pipe this JVM writes, stdout to a temporary file ({@link #stdoutFile()}). */
        WRITE_STDIN,
        /** stdin from /dev/null, stdout to a temporary file. */
        NONE
    }

    /**
     * Starts {@code tool} with {@code args}.
     *
     * @param connection the connection to put in its environment, or null for a tool that connects nowhere
     * @param tempDir where the password file and the captured output go
     */
    public static PgProcess start(PgTools.Tool tool, List<String> args, PostgresConnection connection, Path tempDir,
                                  Io io) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(tool.path().toString());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("PG"));
        Path passFile = null;
        Path stderr = null;
        Path stdoutFile = null;
        try {
            if (connection != null) {
                env.put("PGHOST", connection.host());
                env.put("PGPORT", Integer.toString(connection.port()));
                env.put("PGDATABASE", connection.database());
                PostgresConnection.Credentials credentials = connection.credentials();
                env.put("PGUSER", credentials.user());
                connection.parameters().forEach((k, v) -> {
                    switch (k) {
                        case "sslmode" -> env.put("PGSSLMODE", v);
                        case "sslrootcert" -> env.put("PGSSLROOTCERT", v);
                        case "sslcert" -> env.put("PGSSLCERT", v);
                        case "sslkey" -> env.put("PGSSLKEY", v);
                        case "connect_timeout" -> env.put("PGCONNECT_TIMEOUT", v);
                        case "application_name" -> env.put("PGAPPNAME", v);
                        default -> {
                        }
                    }
                });
                if (credentials.password().isPresent()) {
                    passFile = privateFile(tempDir, "pgpass-");
                    writePassword(passFile, credentials.password().get());
                    env.put("PGPASSFILE", passFile.toString());
                } else {
                    // No password: make sure no password file of this machine's user is picked up instead.
                    env.put("PGPASSFILE", "/dev/null");
                }
            }
            stderr = privateFile(tempDir, tool.name() + "-stderr-");
            pb.redirectError(stderr.toFile());
            switch (io) {
                case READ_STDOUT -> pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                case WRITE_STDIN -> {
                    stdoutFile = privateFile(tempDir, tool.name() + "-stdout-");
                    pb.redirectOutput(stdoutFile.toFile());
                }
                case NONE -> {
                    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                    stdoutFile = privateFile(tempDir, tool.name() + "-stdout-");
                    pb.redirectOutput(stdoutFile.toFile());
                }
            }
            LOG.debug("running {} {}{}", tool.path(), args,
                    connection == null ? "" : " on " + connection.describe());
            Process process = pb.start();
            return new PgProcess(tool.name(), process, stderr, passFile, stdoutFile);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(passFile);
            deleteQuietly(stderr);
            deleteQuietly(stdoutFile);
            throw e;
        }
    }

    /** The tool's standard output, for {@link Io#READ_STDOUT}. */
    public InputStream stdout() {
        return process.getInputStream();
    }

    /** The tool's standard input, for {@link Io#WRITE_STDIN}. */
    public OutputStream stdin() {
        return process.getOutputStream();
    }

    /** The file holding the tool's standard output, for {@link Io#WRITE_STDIN} and {@link Io#NONE}. */
    public Optional<Path> stdoutFile() {
        return Optional.ofNullable(stdoutFile);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the tool and returns its exit code. */
    public int waitFor() throws IOException {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            process.destroy();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException(name + " was interrupted");
        }
    }

    /**
     * Waits for the tool and fails when it did not succeed.
     *
     * @throws IOException naming the tool, its exit code and the end of what it wrote to standard error
     */
    public void waitSuccess() throws IOException {
        int code = waitFor();
        if (code != 0) {
            throw new IOException(name + " failed with exit code " + code + ": " + stderrTail());
        }
    }

    /** The end of what the tool wrote to standard error, on one line. */
    public String stderrTail() {
        try (RandomAccessFile f = new RandomAccessFile(stderr.toFile(), "r")) {
            long length = f.length();
            long start = Math.max(0, length - STDERR_TAIL);
            byte[] buf = new byte[(int) (length - start)];
            f.seek(start);
            f.readFully(buf);
            String text = new String(buf, StandardCharsets.UTF_8).strip().replaceAll("\\s*\\R\\s*", " | ");
            return text.isEmpty() ? "(no message)" : (start > 0 ? "..." : "") + text;
        } catch (IOException e) {
            return "(its messages could not be read: " + e.getMessage() + ")";
        }
    }

    /** Stops the tool if it still runs and deletes its temporary files. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        closeQuietly(process.getOutputStream());
        closeQuietly(process.getInputStream());
        deleteQuietly(passFile);
        deleteQuietly(stderr);
        deleteQuietly(stdoutFile);
    }

    /** A new empty file readable by this user only. */
    public static Path privateFile(Path dir, String prefix) throws IOException {
        return Files.createTempFile(dir, prefix, "", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
    }

    private static void writePassword(Path file, Secret password) throws IOException {
        char[] chars = password.chars();
        try {
            String value = new String(chars);
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
                throw new com.mintreplica.backup.core.InvalidInputException("the password contains a line break, which"
                        + " a libpq password file cannot hold: choose another password");
            }
            Files.writeString(file, PgPass.anyConnectionLine(value), StandardCharsets.UTF_8);
        } finally {
            java.util.Arrays.fill(chars, '\0');
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp file left behind; nothing secret unless it is the password file, deleted above when possible
        }
    }
}
