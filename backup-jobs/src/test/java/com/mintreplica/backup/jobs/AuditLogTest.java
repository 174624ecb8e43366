package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.jobs.audit.AuditLog;
import com.mintreplica.backup.jobs.audit.AuditOperation;
import com.mintreplica.backup.jobs.audit.AuditRecord;
import com.mintreplica.backup.jobs.audit.AuditReport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
    @TempDir
    Path temp;
    Path file;
    AuditLog log;

    @BeforeEach
    void fiveLines() {
        file = temp.resolve("logs/audit.jsonl");
        log = AuditLog.at(file);
        for (int i = 1; i <= 5; i++) {
            log.append(record(i));
        }
    }

    private static AuditRecord record(int i) {
        return AuditRecord.builder(AuditOperation.BACKUP, Instant.parse("2026-11-24T01:00:00Z").plusSeconds(3600L * i))
                .job("etc").snapshot("snap-" + i).repository("/srv/backup").host("db1").user("backup")
                .bytes(1000L * i).duration(Duration.ofSeconds(i)).build();
    }

    private List<String> lines() throws Exception {
        return new ArrayList<>(Files.readAllLines(file));
    }

    private void write(List<String> lines) throws Exception {
        Files.write(file, lines);
    }

    @Test
    void each_line_is_json_with_the_fields_an_auditor_needs_and_the_hash_of_the_line_before() throws Exception {
        List<Map<String, String>> read = log.read();
        assertThat(read).hasSize(5);
        Map<String, String> second = read.get(1);
        assertThat(second).containsEntry("seq", "2").containsEntry("operation", "backup").containsEntry("job", "etc")
                .containsEntry("snapshot", "snap-2").containsEntry("repository", "/srv/backup").containsEntry("host", "db1")
                .containsEntry("user", "backup").containsEntry("result", "ok").containsEntry("bytes", "2000")
                .containsEntry("durationMillis", "2000").containsEntry("time", "2026-11-24T03:00:00Z")
                .containsKeys("error", "log", "prev", "hash");
        assertThat(second.get("prev")).isEqualTo(read.get(0).get("hash"));
        assertThat(read.get(0).get("prev")).isEqualTo(AuditLog.GENESIS);
        assertThat(AuditLog.verify(file).ok()).isTrue();
    }

    @Test
    void an_edited_line_is_found() throws Exception {
        List<String> lines = lines();
        lines.set(2, lines.get(2).replace("\"bytes\":3000", "\"bytes\":3"));
        write(lines);
        AuditReport report = AuditLog.verify(file);
        assertThat(report.ok()).isFalse();
        assertThat(report.problems()).extracting(AuditReport.Problem::line).containsExactly(3);
        assertThat(report.problems().get(0).message()).contains("edited");
    }

    @Test
    void an_edited_line_whose_hash_was_recomputed_breaks_the_chain_at_the_next_line() throws Exception {
        List<String> lines = lines();
        String edited = lines.get(2).replace("\"result\":\"ok\"", "\"result\":\"failed\"");
        String body = edited.substring(0, edited.lastIndexOf(",\"hash\":\"")) + "}";
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8)));
        lines.set(2, body.substring(0, body.length() - 1) + ",\"hash\":\"" + hash + "\"}");
        write(lines);
        AuditReport report = AuditLog.verify(file);
        assertThat(report.problems()).extracting(AuditReport.Problem::line).containsExactly(4);
        assertThat(report.problems().get(0).message()).contains("does not follow the line before");
    }

    @Test
    void a_removed_line_is_found() throws Exception {
        List<String> lines = lines();
        lines.remove(1);
        write(lines);
        AuditReport report = AuditLog.verify(file);
        assertThat(report.problems()).extracting(AuditReport.Problem::line).containsExactly(2);
        assertThat(report.problems().get(0).message()).contains("number 3 after number 1").contains("1 line was removed");
    }

    @Test
    void swapped_lines_are_found() throws Exception {
        List<String> lines = lines();
        String second = lines.get(1);
        lines.set(1, lines.get(2));
        lines.set(2, second);
        write(lines);
        AuditReport report = AuditLog.verify(file);
        assertThat(report.ok()).isFalse();
        assertThat(report.problems()).extracting(AuditReport.Problem::line).contains(2, 3);
        assertThat(report.toString()).contains("moved");
    }

    @Test
    void removing_the_first_line_is_found() throws Exception {
        List<String> lines = lines();
        lines.remove(0);
        write(lines);
        assertThat(AuditLog.verify(file).problems()).singleElement().satisfies(p -> {
            assertThat(p.line()).isEqualTo(1);
            assertThat(p.message()).contains("lines before it were removed");
        });
    }

    @Test
    void a_cut_off_end_is_found_with_the_copies_in_the_repository_and_not_without() throws Exception {
        Path other = temp.resolve("other.jsonl");
        LocalDirectorySink repository = new LocalDirectorySink(temp.resolve("repo"), false);
        AuditLog copied = AuditLog.at(other);
        for (int i = 1; i <= 4; i++) {
            copied.append(record(i), List.of(repository));
        }
        assertThat(AuditLog.verify(other, repository).ok()).isTrue();
        assertThat(AuditLog.verify(other, repository).notes()).anyMatch(n -> n.contains("4 lines match"));
        List<String> lines = new ArrayList<>(Files.readAllLines(other));
        lines.remove(3);
        Files.write(other, lines);
        assertThat(AuditLog.verify(other).ok()).as("a chain cannot see its own end cut off").isTrue();
        AuditReport report = AuditLog.verify(other, repository);
        assertThat(report.problems()).singleElement().satisfies(p -> assertThat(p.message())
                .contains("line number 4").contains("end of the file was cut off"));
    }

    @Test
    void appends_from_many_threads_keep_one_unbroken_chain() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int n = i;
                futures.add(pool.submit(() -> AuditLog.at(file).append(record(n))));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        AuditReport report = AuditLog.verify(file);
        assertThat(report.problems()).isEmpty();
        assertThat(report.lines()).isEqualTo(45);
    }

    @Test
    void a_repository_uri_with_credentials_is_redacted_in_the_line() throws Exception {
        log.append(AuditRecord.builder(AuditOperation.COPY, Instant.parse("2026-11-24T05:00:00Z"))
                .repository("s3://AKIAEXAMPLE:wJalrSecretKey@bucket/p?token=hunter2").host("h").user("u").build());
        String text = Files.readString(file);
        assertThat(text).doesNotContain("wJalrSecretKey").doesNotContain("hunter2").doesNotContain("AKIAEXAMPLE")
                .contains("s3://***@bucket/p?token=***");
    }
}
