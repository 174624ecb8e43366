package com.mintreplica.backup.jobs.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only audit log: one JSON line per audited operation, each carrying the hash of the line before it
 * ({@code prev}) and its own ({@code hash}, SHA-256 of the line without that field), with a running number
 * ({@code seq}) and the log's id ({@code log}):
 *
 * <pre>{@code
 * {"seq":2,"log":"6f1c..","time":"2026-11-24T01:00:03Z","operation":"backup","job":"postgres-daily",
 *  "snapshot":"20261124-010003-3fa2c1d0","repository":"/srv/backup","host":"db1","user":"backup","result":"ok",
 *  "bytes":73400320,"durationMillis":41230,"error":null,"detail":null,"prev":"a3f9..","hash":"5be0.."}
 * }</pre>
 *
 * <p>{@link #verify(Path)} finds a line that was edited (its hash no longer matches, or the next line's {@code prev}
 * does not), removed (a gap in {@code seq}, a broken chain) or moved (numbers out of order). A chain alone cannot show
 * that lines were cut from the end, or that the whole file was rewritten by someone who recomputed every hash: for that,
 * each line can also be stored in a repository ({@code audit/<log>/<seq>}), where it is not rewritten, and
 * {@link #verify(Path, Sink)} compares the file with those copies.
 *
 * <p>Appends are safe from several threads and processes: each takes an exclusive lock on the file, reads the last
 * line, and writes the next one, forced to disk. Nothing is ever rewritten. The caller makes sure records hold no
 * secrets (their repository locations are redacted when built).
 */
public final class AuditLog {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final JsonFactory JSON = new JsonFactory();
    /** The {@code prev} of the first line. */
    public static final String GENESIS = "0".repeat(64);
    /** Where copies of lines are stored in a repository's Sink. */
    public static final String PREFIX = "audit/";
    private static final String HASH_FIELD = ",\"hash\":\"";

    private final Path file;

    private AuditLog(Path file) {
        this.file = file;
    }

    /** The audit log in {@code file}, created with its directory on the first append. */
    public static AuditLog at(Path file) {
        return new AuditLog(Objects.requireNonNull(file, "file").toAbsolutePath());
    }

    public Path file() {
        return file;
    }

    /** Appends {@code record} to the file; see {@link #append(AuditRecord, List)}. */
    public Line append(AuditRecord record) {
        return append(record, List.of());
    }

    /**
     * Appends {@code record} as the next line, then stores a copy of the line in each of {@code copies} (the Sinks of
     * the repositories concerned). A copy that cannot be stored is logged and otherwise ignored: the file is the log.
     *
     * @return the line written
     * @throws BackupException when the file cannot be written
     */
    public Line append(AuditRecord record, List<Sink> copies) {
        Line line;
        try {
            line = appendToFile(record);
        } catch (IOException e) {
            throw new BackupException("cannot append to the audit log " + file + ": " + e.getMessage()
                    + ": check that the directory exists and is writable by this user", e);
        }
        for (Sink sink : copies) {
            byte[] bytes = line.text().getBytes(StandardCharsets.UTF_8);
            try {
                sink.put(line.objectName(), new ByteArrayInputStream(bytes), bytes.length, ObjectKind.AUDIT);
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot store audit line {} in {}: {}", line.seq(), sink.describe(), e.toString());
            }
        }
        return line;
    }

    @SuppressWarnings("try") // the lock is held for the block, never referenced
    private Line appendToFile(AuditRecord record) throws IOException {
        Path parent = file.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
             FileLock ignored = lock(channel)) {
            Optional<String> last = lastLine(channel);
            long seq = 1;
            String log = UUID.randomUUID().toString();
            String prev = GENESIS;
            if (last.isPresent()) {
                Map<String, String> fields = parse(body(last.get()).orElseThrow(() -> new IOException(
                        "its last line is not an audit line: run `mint-backup audit verify` and keep the damaged file aside")));
                seq = Long.parseLong(fields.get("seq")) + 1;
                log = fields.get("log");
                prev = hashField(last.get()).orElseThrow();
            }
            String body = body(record, seq, log, prev);
            String hash = sha256(body);
            String text = body.substring(0, body.length() - 1) + HASH_FIELD + hash + "\"}";
            ByteBuffer bytes = ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8));
            long position = channel.size();
            while (bytes.hasRemaining()) {
                position += channel.write(bytes, position);
            }
            channel.force(true);
            return new Line(seq, log, text, hash);
        }
    }

    private static FileLock lock(FileChannel channel) throws IOException {
        while (true) {
            try {
                return channel.lock();
            } catch (OverlappingFileLockException sameJvm) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the audit log's lock");
                }
            }
        }
    }

    private static Optional<String> lastLine(FileChannel channel) throws IOException {
        long size = channel.size();
        if (size == 0) {
            return Optional.empty();
        }
        int window = 8192;
        while (true) {
            long start = Math.max(0, size - window);
            ByteBuffer buffer = ByteBuffer.allocate((int) (size - start));
            channel.read(buffer, start);
            String text = new String(buffer.array(), StandardCharsets.UTF_8);
            String trimmed = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            int nl = trimmed.lastIndexOf('\n');
            if (nl >= 0 || start == 0) {
                String line = trimmed.substring(nl + 1);
                return line.isBlank() ? Optional.empty() : Optional.of(line);
            }
            window *= 4;
        }
    }

    private static String body(AuditRecord r, long seq, String log, String prev) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("seq", seq);
            g.writeStringField("log", log);
            g.writeStringField("time", r.time().toString());
            g.writeStringField("operation", r.operation().text());
            g.writeStringField("job", r.job().orElse(null));
            g.writeStringField("snapshot", r.snapshot().orElse(null));
            g.writeStringField("repository", r.repository().orElse(null));
            g.writeStringField("host", r.host());
            g.writeStringField("user", r.user());
            g.writeStringField("result", r.ok() ? "ok" : "failed");
            g.writeNumberField("bytes", r.bytes());
            g.writeNumberField("durationMillis", r.duration().toMillis());
            g.writeStringField("error", r.error().orElse(null));
            g.writeStringField("detail", r.detail().orElse(null));
            g.writeStringField("prev", prev);
            g.writeEndObject();
        }
        return out.toString();
    }

    // ---- reading and verifying

    /** Every line of the log, parsed; for status and for tests. Lines that cannot be parsed are left out. */
    public List<Map<String, String>> read() {
        List<Map<String, String>> out = new ArrayList<>();
        for (String line : lines(file)) {
            try {
                out.add(parse(line));
            } catch (IOException e) {
                // not an audit line: verify reports it
            }
        }
        return out;
    }

    /** Checks the chain of {@code file}; see the class comment. */
    public static AuditReport verify(Path file) {
        return verify(file, null);
    }

    /**
     * Checks the chain of {@code file}, and compares it with the copies of its lines stored in {@code repository}
     * ({@code null}: none): a copy whose line is missing from the file, or differs from it, is a problem.
     */
    public static AuditReport verify(Path file, Sink repository) {
        List<String> lines = lines(file);
        List<AuditReport.Problem> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Map<Long, String> bySeq = new TreeMap<>();
        String log = null;
        String prevHash = null;
        long prevSeq = 0;
        for (int i = 0; i < lines.size(); i++) {
            int n = i + 1;
            String line = lines.get(i);
            Optional<String> body = body(line);
            Map<String, String> fields;
            try {
                fields = body.isPresent() ? parse(body.get()) : null;
            } catch (IOException e) {
                fields = null;
            }
            if (fields == null || !fields.containsKey("seq") || !fields.containsKey("prev")) {
                problems.add(new AuditReport.Problem(n, "is not an audit line (it was edited or inserted)"));
                prevHash = null;
                continue;
            }
            String recorded = hashField(line).orElse("");
            String actual = sha256(body.get());
            long seq;
            try {
                seq = Long.parseLong(fields.get("seq"));
            } catch (NumberFormatException e) {
                problems.add(new AuditReport.Problem(n, "has no valid number (seq): it was edited"));
                prevHash = recorded;
                continue;
            }
            bySeq.put(seq, line);
            if (!recorded.equals(actual)) {
                problems.add(new AuditReport.Problem(n, "(seq " + seq + ") does not match its hash: it was edited"));
            }
            if (log == null) {
                log = fields.get("log");
                if (seq != 1 || !GENESIS.equals(fields.get("prev"))) {
                    problems.add(new AuditReport.Problem(n, "is number " + seq + ", not the first line of a log: the"
                            + " lines before it were removed"));
                }
            } else {
                if (!Objects.equals(log, fields.get("log"))) {
                    problems.add(new AuditReport.Problem(n, "belongs to another audit log (" + fields.get("log")
                            + "): lines of two logs were mixed"));
                }
                if (seq != prevSeq + 1) {
                    problems.add(new AuditReport.Problem(n, seq <= prevSeq
                            ? "is number " + seq + " after number " + prevSeq + ": lines were moved or repeated"
                            : "is number " + seq + " after number " + prevSeq + ": " + (seq - prevSeq - 1)
                                    + " line" + (seq - prevSeq - 1 == 1 ? " was" : "s were") + " removed before it"));
                } else if (prevHash != null && !prevHash.equals(fields.get("prev"))) {
                    problems.add(new AuditReport.Problem(n, "does not follow the line before it (its prev hash differs):"
                            + " the line before was edited, or lines were replaced"));
                }
            }
            prevSeq = seq;
            prevHash = recorded;
        }
        if (repository != null && log != null) {
            compareWithCopies(file, repository, log, bySeq, prevSeq, problems, notes);
        } else if (repository != null) {
            notes.add("the file holds no audit line, so there is nothing to compare with " + repository.describe());
        }
        return new AuditReport(file, lines.size(), problems, notes);
    }

    private static void compareWithCopies(Path file, Sink repository, String log, Map<Long, String> bySeq, long lastSeq,
                                          List<AuditReport.Problem> problems, List<String> notes) {
        List<ObjectInfo> copies;
        try (Stream<ObjectInfo> listed = repository.list(PREFIX + log + "/")) {
            copies = listed.toList();
        } catch (IOException e) {
            throw new BackupException("cannot list the audit copies in " + repository.describe() + ": " + e.getMessage(), e);
        }
        int matched = 0;
        for (ObjectInfo copy : copies) {
            String name = copy.name().substring(copy.name().lastIndexOf('/') + 1);
            long seq;
            try {
                seq = Long.parseLong(name);
            } catch (NumberFormatException e) {
                continue;
            }
            String stored;
            try (InputStream in = repository.get(copy.name())) {
                stored = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new BackupException("cannot read " + copy.name() + " in " + repository.describe() + ": " + e.getMessage(), e);
            }
            String inFile = bySeq.get(seq);
            if (inFile == null) {
                problems.add(new AuditReport.Problem(0, "line number " + seq + " is stored in " + repository.describe()
                        + " (" + copy.name() + ") but missing from " + file + (seq > lastSeq
                        ? ": the end of the file was cut off" : ": it was removed")));
            } else if (!inFile.equals(stored)) {
                problems.add(new AuditReport.Problem(0, "line number " + seq + " differs from its copy in "
                        + repository.describe() + " (" + copy.name() + "): the file was rewritten"));
            } else {
                matched++;
            }
        }
        notes.add(matched + " line" + (matched == 1 ? "" : "s") + " match their copies in " + repository.describe());
    }

    private static List<String> lines(Path file) {
        try {
            List<String> out = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
            out.removeIf(String::isEmpty);
            return out;
        } catch (NoSuchFileException e) {
            throw new com.mintreplica.backup.core.NotFoundException("the audit log " + file + " does not exist");
        } catch (IOException e) {
            throw new BackupException("cannot read the audit log " + file + ": " + e.getMessage(), e);
        }
    }

    /** The line without its hash field: what the hash covers. */
    private static Optional<String> body(String line) {
        int at = line.lastIndexOf(HASH_FIELD);
        if (at < 0 || !line.endsWith("\"}")) {
            return Optional.empty();
        }
        return Optional.of(line.substring(0, at) + "}");
    }

    private static Optional<String> hashField(String line) {
        int at = line.lastIndexOf(HASH_FIELD);
        if (at < 0 || !line.endsWith("\"}")) {
            return Optional.empty();
        }
        return Optional.of(line.substring(at + HASH_FIELD.length(), line.length() - 2));
    }

    private static Map<String, String> parse(String json) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    throw new IOException("unexpected structure in field " + name);
                }
                out.put(name, value == JsonToken.VALUE_NULL ? null : p.getText());
            }
            if (p.nextToken() != null) {
                throw new IOException("text after the JSON object");
            }
        }
        return out;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A line as written.
     *
     * @param seq its number, from 1
     * @param log the log's id
     * @param text the line, without its newline
     * @param hash its hash
     */
    public record Line(long seq, String log, String text, String hash) {
        /** Where its copy is stored in a repository. */
        public String objectName() {
            return PREFIX + log + "/" + String.format("%012d", seq);
        }
    }
}
