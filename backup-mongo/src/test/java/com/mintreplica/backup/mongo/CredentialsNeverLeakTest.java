package com.mintreplica.backup.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.BackupResult;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.Sources;
import com.mintreplica.backup.testkit.InMemorySink;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Passwords never appear in logs, manifests or exception messages. The server really authenticates (SCRAM-SHA-256,
 * see {@link ScramBackend}), the driver logs at debug level (simplelogger.properties), and everything written to the
 * log while a test runs is captured and searched, with the repository stored untransformed so that its objects can be
 * searched as they are.
 */
class CredentialsNeverLeakTest {
    private static final String USER = "mint-backup";
    private static final String PASSWORD = "Pw-9fK2qL7z!x";
    private static final String WRONG = "Wrong-77#Pw-q";
    private static InProcessMongo server;

    private PrintStream originalErr;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @BeforeAll
    static void start() {
        server = InProcessMongo.withUser(USER, PASSWORD);
        FinanceData.create(server.client().getDatabase("mint"), 200);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void captureLog() {
        originalErr = System.err;
        System.setErr(new PrintStream(new TeeStream(log, originalErr), true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreLog() {
        System.setErr(originalErr);
    }

    private String log() {
        System.err.flush();
        return log.toString(StandardCharsets.UTF_8);
    }

    private static List<String> forms(String secret) {
        return List.of(secret, URLEncoder.encode(secret, StandardCharsets.UTF_8));
    }

    private static void assertHidden(String text, String secret, String where) {
        for (String form : forms(secret)) {
            assertThat(text).as("%s must not show the password", where).doesNotContain(form);
        }
    }

    private static String everything(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    private static Repository plainRepository(InMemorySink sink) {
        return Repository.init(sink, RepositorySettings.defaults().withTransformers(List.of()));
    }

    @Test
    void a_backup_restore_and_verify_with_a_password_keep_it_out_of_logs_manifests_and_objects() {
        InMemorySink sink = new InMemorySink();
        try (Repository repo = plainRepository(sink)) {
            MongoSource source = MongoSource.builder().connectionString(Secret.of(server.uri(USER, PASSWORD)))
                    .databases("mint").build();
            BackupResult backup = Backup.pipeline().source(source).to(repo).host("test").build().run();
            MongoTarget target = MongoTarget.builder().connectionString(Secret.of(server.uri(USER, PASSWORD)))
                    .targetDatabase("mint_drill").build();
            repo.restore(SnapshotSelector.id(backup.snapshotId())).to(target).run();
            repo.restore(SnapshotSelector.id(backup.snapshotId())).to(MongoVerifier.create()).run();

            assertThat(target.report().orElseThrow().ok()).isTrue();
            assertThat(sink.objects().keySet()).anyMatch(name -> name.startsWith("snapshots/"));
            sink.objects().forEach((name, bytes) ->
                    assertHidden(new String(bytes, StandardCharsets.ISO_8859_1), PASSWORD, "object " + name));
            assertHidden(backup.snapshot().toString(), PASSWORD, "the snapshot");
            assertHidden(source.toString() + source.id() + target, PASSWORD, "the source and target");
            assertThat(backup.snapshot().source().name()).isEqualTo(server.hostAndPort() + "/mint");
        }
        String log = log();
        assertThat(log).as("the driver's debug log was captured, with the credential it used")
                .contains("org.mongodb.driver").contains("userName='" + USER + "'");
        assertHidden(log, PASSWORD, "the log");
    }

    @Test
    void credentials_given_apart_from_the_connection_string_authenticate_and_stay_hidden() {
        try (Repository repo = plainRepository(new InMemorySink())) {
            Source source = MongoSource.builder().connectionString(Secret.of(server.uri()))
                    .credentials(USER, Secret.of(PASSWORD)).databases("mint").build();
            BackupResult backup = Backup.pipeline().source(source).to(repo).host("test").build().run();
            assertThat(backup.snapshot().facts()).containsEntry("mongodb.count.mint.ledger", "200");
        }
        assertHidden(log(), PASSWORD, "the log");
    }

    @Test
    void a_wrong_password_fails_with_messages_that_hold_no_password() {
        MongoSource source = MongoSource.builder().connectionString(Secret.of(server.uri(USER, WRONG))).databases("mint").build();

        Throwable failure = catchThrowable(() ->
                Backup.pipeline().source(source).to(Repository.init(new InMemorySink())).host("test").build().run());

        assertThat(failure).isInstanceOf(BackupException.class).hasMessageContaining("cannot start a MongoDB dump")
                .hasMessageContaining(server.hostAndPort());
        assertThat(everything(failure)).containsIgnoringCase("authenticat");
        assertHidden(everything(failure), WRONG, "the exception");
        assertHidden(log(), WRONG, "the log");
    }

    @Test
    void a_restore_with_a_wrong_password_fails_with_messages_that_hold_no_password() throws Exception {
        try (Repository repo = Repository.init(new InMemorySink())) {
            BackupResult backup = Backup.pipeline().source(MongoSource.builder()
                    .connectionString(Secret.of(server.uri(USER, PASSWORD))).databases("mint").build())
                    .to(repo).host("test").build().run();
            MongoTarget target = MongoTarget.builder().connectionString(Secret.of(server.uri(USER, WRONG)))
                    .originalNames(true).build();

            Throwable failure = catchThrowable(() -> repo.restore(SnapshotSelector.id(backup.snapshotId())).to(target).run());

            assertThat(failure).isInstanceOf(BackupException.class);
            assertHidden(everything(failure), WRONG, "the exception");
        }
        assertHidden(log(), WRONG, "the log");
    }

    @Test
    void an_unreachable_server_fails_without_showing_the_password() {
        MongoSource source = MongoSource.builder()
                .connectionString(Secret.of("mongodb://" + USER + ":" + URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8)
                        + "@127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300"))
                .build();

        Throwable failure = catchThrowable(() ->
                Backup.pipeline().source(source).to(Repository.init(new InMemorySink())).host("test").build().run());

        assertThat(failure).isInstanceOf(BackupException.class).hasMessageContaining("127.0.0.1:1");
        assertHidden(everything(failure), PASSWORD, "the exception");
        assertHidden(log(), PASSWORD, "the log");
    }

    @Test
    void an_invalid_connection_string_is_refused_without_showing_its_password() {
        assertThatThrownBy(() -> MongoSource.builder()
                .connectionString(Secret.of("mongodb://" + USER + ":" + PASSWORD + "@db1:notaport/")).build())
                .isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertHidden(everything(e), PASSWORD, "the exception"))
                .hasMessageContaining("is not valid");
        assertThatThrownBy(() -> MongoTarget.builder()
                .connectionString(Secret.of("mongodb://" + USER + ":" + PASSWORD + "@/nohost")).build())
                .isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertHidden(everything(e), PASSWORD, "the exception"));
    }

    @Test
    void sources_opened_from_a_uri_name_no_credentials() throws Exception {
        URI location = URI.create(server.uri(USER, PASSWORD));
        Source source = Sources.forLocation(location).source(location, Map.of("databases", "mint"));

        assertThat(source.id().name()).isEqualTo(server.hostAndPort() + "/mint");
        assertHidden(source.toString(), PASSWORD, "the source");
    }

    /** Writes to two streams. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
