package com.mintreplica.backup.postgres.physical.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.drill.DrillCheck;
import com.mintreplica.backup.core.drill.DrillSupport;
import com.mintreplica.backup.core.drill.Scratch;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.postgres.physical.PhysicalFacts;
import com.mintreplica.backup.postgres.wal.WalArchive;
import com.mintreplica.backup.postgres.wal.WalFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A point-in-time drill's scratch: a data directory under the temporary directory, restored from the base backup with
 * a recovery target drawn at random between the base backup's end and the end of the WAL archive, started on a free
 * port (with {@code archive_mode = off}, so a drill never archives into the archive it reads), and removed afterwards.
 * The server is started and recovery waited for in the restore's {@code finish}, so the drill's measured restore time
 * (its RTO) includes WAL replay.
 */
public final class PitrScratch implements Scratch {
    /** The check a point-in-time drill makes: recovery reached the drawn target. */
    public static final String RECOVERY = "recovery";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final PhysicalFacts facts;
    private final Optional<Instant> target;
    private final Optional<Instant> archiveEnd;
    private final Map<String, String> settings;
    private final Map<String, String> tablespaces;
    private final Path binDir;
    private final Duration timeout;
    private final PostgresConnection login;
    private ServerStarter.Outcome outcome;
    private Instant restoreStarted;

    private PitrScratch(Path dir, PhysicalFacts facts, Optional<Instant> target, Optional<Instant> archiveEnd,
                        Map<String, String> settings, Map<String, String> tablespaces, Path binDir, Duration timeout,
                        PostgresConnection login) {
        this.dir = dir;
        this.facts = facts;
        this.target = target;
        this.archiveEnd = archiveEnd;
        this.settings = settings;
        this.tablespaces = tablespaces;
        this.binDir = binDir;
        this.timeout = timeout;
        this.login = login;
    }

    public static PitrScratch create(DrillSupport.Request r) throws IOException {
        PhysicalFacts facts = PhysicalFacts.of(r.snapshot()).orElseThrow(() -> new InvalidInputException("snapshot "
                + r.snapshot().id() + " is not a completed physical base backup"));
        String restoreCommand = Optional.ofNullable(r.options().get("restore-command")).filter(v -> !v.isBlank())
                .orElseThrow(() -> new InvalidInputException("a point-in-time drill needs options.restore-command, the"
                        + " restore_command its server fetches WAL with: mint-backup wal-fetch --config F --job J"
                        + " --cluster C %f %p"));
        String cluster = Optional.ofNullable(r.sourceOptions().get("cluster")).orElse(r.snapshot().source().name());
        Optional<Instant> end = Optional.empty();
        if (r.repository().isPresent() && !WalArchive.clusters(r.repository().get()).isEmpty()) {
            WalArchive archive = WalArchive.open(r.repository().get(), cluster);
            if (!facts.systemIdentifier().isEmpty()) {
                archive = archive.system(Long.parseUnsignedLong(facts.systemIdentifier()));
            }
            end = archive.list().stream().filter(f -> f.type() == WalFile.Type.SEGMENT || f.type() == WalFile.Type.PARTIAL)
                    .map(WalFile::time).max(Comparator.naturalOrder());
        }
        Optional<Instant> target = Optional.empty();
        if (end.isPresent() && end.get().isAfter(facts.stopTime())) {
            long span = Duration.between(facts.stopTime(), end.get()).toMillis();
            target = Optional.of(facts.stopTime().plusMillis((long) (RANDOM.nextDouble() * span)));
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("restore_command", restoreCommand);
        settings.put("archive_mode", "off");
        target.ifPresent(t -> {
            settings.put("recovery_target_time", t.toString().replace('T', ' ').replace("Z", "+00"));
            settings.put("recovery_target_action", "pause");
        });
        Path dir = Files.createTempDirectory(r.tempDir(), "mint-pitr-drill-" + r.drill().replaceAll("[^A-Za-z0-9_-]", "_")
                + "-");
        Map<String, String> tablespaces = new LinkedHashMap<>();
        r.snapshot().facts().forEach((k, v) -> {
            if (k.startsWith("postgresql.physical.tablespace.")) {
                String oid = k.substring("postgresql.physical.tablespace.".length());
                tablespaces.put(oid, dir.resolve("tablespaces").resolve(oid).toString());
            }
        });
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        String runAs = Optional.ofNullable(r.options().get("run-as")).orElse("postgres");
        if (isRoot()) {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            chown(dir, runAs);
            chown(data, runAs);
            if (!tablespaces.isEmpty()) {
                chown(Files.createDirectories(dir.resolve("tablespaces")), runAs);
            }
        }
        PostgresConnection login = null;
        if (r.sourceLocation().isPresent()) {
            String uri = r.sourceLocation().get().replaceFirst("^postgresql-physical:", "postgresql:");
            login = PostgresConnection.builder().url(uri).environment(r.environment()).build();
        }
        Duration timeout = Optional.ofNullable(r.options().get("timeout")).map(v -> Duration.parse("PT" + v.strip()
                .toUpperCase(java.util.Locale.ROOT))).orElse(Duration.ofMinutes(30));
        Path bin = ServerStarter.binDir(Optional.ofNullable(r.options().get("pg-bin-dir")).map(Path::of), facts.version());
        return new PitrScratch(dir, facts, target, end, settings, tablespaces, bin, timeout, login);
    }

    @Override
    public String kind() {
        return PhysicalFacts.KIND;
    }

    @Override
    public String describe() {
        return dir.resolve("data") + (outcome == null ? "" : " (port " + outcome.port() + ")");
    }

    @Override
    public Optional<Path> directory() {
        return Optional.of(dir.resolve("data"));
    }

    @Override
    public List<Part> parts() {
        PgDataTarget files = new PgDataTarget(dir.resolve("data"), tablespaces, settings, true);
        return List.of(new Part(List.of(), new RestoreTarget() {
            @Override
            public void begin(RestoreContext context) throws IOException {
                restoreStarted = Instant.now();
                files.begin(context);
            }

            @Override
            public void write(Entry entry, InputStream content) throws IOException {
                files.write(entry, content);
            }

            @Override
            public void finish() throws IOException {
                files.finish();
                try {
                    outcome = ServerStarter.start(dir.resolve("data"), binDir, ServerStarter.freePort(), "127.0.0.1",
                            timeout);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while the drill's server recovered", e);
                }
            }
        }));
    }

    @Override
    public List<DrillCheck> checks(Optional<RestoreResult> result, Optional<Exception> failure) {
        if (failure.isPresent() || outcome == null) {
            return List.of(DrillCheck.skipped(RECOVERY, "the restore failed"));
        }
        StringBuilder b = new StringBuilder();
        b.append(target.map(t -> "recovered to " + t + " (drawn at random between the base backup's end "
                + facts.stopTime() + " and the archive's end " + archiveEnd.orElseThrow() + ")")
                .orElse("recovered to the end of the archive (no archived WAL after the base backup's end "
                        + facts.stopTime() + ")"));
        b.append(": server ").append(outcome.state());
        outcome.stoppedAt().ifPresent(s -> b.append("; ").append(s));
        outcome.lastTransaction().ifPresent(t -> b.append("; last transaction replayed at ").append(t));
        if (restoreStarted != null) {
            b.append("; RTO ").append(Duration.between(restoreStarted, Instant.now()).toMillis()).append(" ms (files,"
                    + " replay, start)");
        }
        archiveEnd.ifPresent(e -> b.append("; achieved RPO ").append(Duration.between(e, Instant.now()).toSeconds())
                .append(" s (the archive's newest WAL is that old)"));
        boolean reached = outcome.state().equals("paused") || outcome.state().equals("promoted");
        return List.of(reached ? DrillCheck.passed(RECOVERY, b.toString()) : DrillCheck.failed(RECOVERY, b.toString()));
    }

    @Override
    public DrillCheck smokeQuery(String query) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            boolean ok = rs.next() && rs.getBoolean(1);
            return ok ? DrillCheck.passed("smoke", "smoke query returned a true value")
                    : DrillCheck.failed("smoke", "smoke query returned no true value");
        } catch (SQLException e) {
            return DrillCheck.failed("smoke", "smoke query failed: " + e.getMessage());
        }
    }

    @Override
    public Connection connect() {
        if (outcome == null || login == null) {
            throw new InvalidInputException("the drill's server is not running, or the job has no login to use");
        }
        return PostgresConnection.builder().host("127.0.0.1").port(outcome.port()).database(login.database())
                .user(login.user()).password(login.credentials().password().orElse(
                        com.mintreplica.backup.core.Secret.of(""))).environment(Map.of()).build().connect();
    }

    @Override
    public String remove() throws IOException {
        if (outcome != null && Files.exists(dir.resolve("data/postmaster.pid"))) {
            try {
                ServerStarter.stop(dir.resolve("data"), binDir);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // removed below anyway; a server left running would hold its port until it notices
            }
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
        return "stopped the drill's server and removed " + dir;
    }

    private static void chown(Path p, String user) throws IOException {
        UserPrincipalLookupService users = p.getFileSystem().getUserPrincipalLookupService();
        PosixFileAttributeView v = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        v.setOwner(users.lookupPrincipalByName(user));
        try {
            v.setGroup(users.lookupPrincipalByGroupName(user));
        } catch (IOException e) {
            // no group of that name: the owner is what PostgreSQL checks
        }
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
