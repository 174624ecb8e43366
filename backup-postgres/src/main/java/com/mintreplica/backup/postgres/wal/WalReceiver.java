package com.mintreplica.backup.postgres.wal;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.postgres.internal.receive.Lsn;
import com.mintreplica.backup.postgres.internal.receive.ReplicationSession;
import com.mintreplica.backup.postgres.internal.receive.WalDestination;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams WAL from a PostgreSQL server over the replication protocol, through a physical replication slot, into the
 * repository's WAL archive, as {@code pg_receivewal} does into a directory: for hosts that cannot wait for 16 MiB
 * segments to fill before archiving them.
 *
 * <pre>{@code
 * WalReceiver receiver = WalReceiver.builder()
 *     .connection(PostgresConnection.of("postgresql://replicator@db:5432/postgres"))
 *     .slot("mint_backup")
 *     .archive(walArchive)
 *     .build();
 * receiver.run();            // until receiver.stop() (another thread, a shutdown hook)
 * }</pre>
 *
 * <p>The promise: the slot's flush position (the point before which PostgreSQL may remove WAL) is reported only up to
 * the end of WAL held by an object the archive has confirmed durable. The segment being filled is pushed as
 * {@code <segment>.partial} (the whole segment's size, zeros after what was received, as pg_receivewal keeps it) at
 * most once per {@link Builder#partialInterval} (500 ms) while new WAL arrives, at once when WAL arrives after a quiet
 * spell; a completed segment is pushed under its own name and its {@code .partial} object removed. After a crash or a
 * lost connection the receiver starts again from the slot (at the start of the segment holding its position), so no
 * WAL the server removed was missing from the archive, and it never pushes a {@code .partial} shorter than one it may
 * have pushed before. Timeline switches are followed: the server's history files are pushed, a timeline that ended is
 * streamed to its end (its last segment stays a {@code .partial}, as with pg_receivewal) and the next one from there.
 *
 * <p>The slot is created only when {@link Builder#createSlot} says so; a missing slot is otherwise an error that says
 * how to create it. Lost connections are retried (1 s doubling to 30 s) until {@link #stop()}; a refused login, a
 * missing slot or a slot of the wrong kind end {@link #run()} with an exception.
 */
public final class WalReceiver {
    private static final Logger LOG = LoggerFactory.getLogger(WalReceiver.class);
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    private final PostgresConnection connection;
    private final String slot;
    private final boolean createSlot;
    private final WalDestination destination;
    private final Path spool;
    private final boolean ownSpool;
    private final Duration partialInterval;
    private final Duration statusInterval;
    private final Clock clock;

    private volatile boolean stopRequested;
    private volatile Thread runner;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final AtomicLong durable = new AtomicLong(-1);
    private final AtomicLong received = new AtomicLong(-1);
    private final AtomicLong partialPushes = new AtomicLong();
    private final AtomicLong segmentsPushed = new AtomicLong();
    private final AtomicReference<Instant> lastPush = new AtomicReference<>();
    private volatile int timeline;

    private WalReceiver(Builder b) {
        this.connection = Objects.requireNonNull(b.connection, "connection");
        this.slot = Objects.requireNonNull(b.slot, "slot");
        this.createSlot = b.createSlot;
        this.destination = Objects.requireNonNull(b.destination, "archive");
        this.partialInterval = b.partialInterval;
        this.statusInterval = b.statusInterval;
        this.clock = b.clock;
        try {
            this.ownSpool = b.spool == null;
            this.spool = b.spool != null ? Files.createDirectories(b.spool)
                    : Files.createTempDirectory("mint-wal-receive-");
        } catch (IOException e) {
            throw new BackupException("cannot create the WAL receiver's spool directory " + b.spool + ": "
                    + e.getMessage(), e);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Streams until {@link #stop()} is called; returns then, once the segment being filled has been pushed and its
     * position reported.
     *
     * @throws InvalidInputException when the slot does not exist (and creating it was not asked for) or is not physical
     * @throws AccessDeniedException when the server refuses the login or replication to this user
     */
    public void run() {
        runner = Thread.currentThread();
        long backoff = 1000;
        try {
            while (!stopRequested) {
                ReplicationSession session = new ReplicationSession(connection, slot, createSlot, destination, spool,
                        partialInterval, statusInterval, clock, this::stopping, new ReplicationSession.Progress() {
                            @Override
                            public void received(int tli, long lsn) {
                                timeline = tli;
                                received.accumulateAndGet(lsn, Math::max);
                            }

                            @Override
                            public void durable(long lsn, boolean wholeSegment) {
                                durable.accumulateAndGet(lsn, Math::max);
                                lastPush.set(clock.instant());
                                (wholeSegment ? segmentsPushed : partialPushes).incrementAndGet();
                            }
                        });
                try {
                    session.stream(durable.get());
                    backoff = 1000;
                } catch (InvalidInputException | AccessDeniedException e) {
                    throw e;
                } catch (RuntimeException | IOException e) {
                    if (stopRequested) {
                        break;
                    }
                    LOG.warn("WAL streaming from {} stopped ({}); connecting again in {} s", connection.describe(),
                            e.getMessage(), backoff / 1000);
                    LOG.debug("why streaming stopped", e);
                    pause(backoff);
                    backoff = Math.min(backoff * 2, 30_000);
                }
            }
        } finally {
            if (ownSpool) {
                deleteQuietly(spool);
            }
            runner = null;
            finished.countDown();
        }
    }

    /** Asks {@link #run()} to end: it pushes what it received, reports it, and returns. Returns at once. */
    public void stop() {
        stopRequested = true;
        Thread t = runner;
        if (t != null) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Waits until {@link #run()} has returned, at most {@code timeout}; whether it has. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Where streaming stands. */
    public Progress progress() {
        long r = received.get();
        long d = durable.get();
        return new Progress(timeline, r < 0 ? Optional.empty() : Optional.of(Lsn.format(r)),
                d < 0 ? Optional.empty() : Optional.of(Lsn.format(d)), Optional.ofNullable(lastPush.get()),
                partialPushes.get(), segmentsPushed.get());
    }

    private boolean stopping() {
        return stopRequested;
    }

    private synchronized void pause(long millis) {
        long until = System.currentTimeMillis() + millis;
        try {
            while (!stopRequested && System.currentTimeMillis() < until) {
                wait(Math.max(1, until - System.currentTimeMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopRequested = true;
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temporary directory left behind
        }
    }

    /**
     * Where streaming stands.
     *
     * @param timeline the timeline being streamed (0 before the first connection)
     * @param received the end of the WAL received, {@code 0/3000148}
     * @param durable the end of the WAL durable in the archive: what the slot was told it may release
     * @param lastPush when the archive last confirmed a push
     * @param partialPushes how many {@code .partial} pushes
     * @param segmentsPushed how many completed segments were pushed
     */
    public record Progress(int timeline, Optional<String> received, Optional<String> durable,
                           Optional<Instant> lastPush, long partialPushes, long segmentsPushed) {
    }

    /** The archive as the receiver's destination. */
    record ArchiveDestination(WalArchive archive) implements WalDestination {
        @Override
        public void push(Path file) {
            archive.push(file); // a .partial with new content supersedes the archived one
        }

        @Override
        public WalDestination forSystem(String systemId) {
            return new ArchiveDestination(archive.system(Long.parseUnsignedLong(systemId)));
        }

        @Override
        public void remove(String fileName) {
            if (fileName.endsWith(".partial")) {
                archive.removePartials(fileName.substring(0, fileName.length() - ".partial".length()));
            }
        }
    }

    /** Builds a {@link WalReceiver}. */
    public static final class Builder {
        private PostgresConnection connection;
        private String slot = "mint_backup";
        private boolean createSlot;
        private WalDestination destination;
        private Path spool;
        private Duration partialInterval = Duration.ofMillis(500);
        private Duration statusInterval = Duration.ofSeconds(10);
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** The server; its user needs the REPLICATION attribute (and a {@code replication} line in pg_hba.conf). */
        public Builder connection(PostgresConnection value) {
            this.connection = Objects.requireNonNull(value, "connection");
            return this;
        }

        /** The physical replication slot to stream through (default {@code mint_backup}). */
        public Builder slot(String value) {
            if (value == null || !SLOT_NAME.matcher(value).matches()) {
                throw new InvalidInputException("'" + value + "' is not a replication slot name: use 1 to 63 lower-case"
                        + " letters, digits and underscores");
            }
            this.slot = value;
            return this;
        }

        /** Whether to create the slot (reserving WAL at once) when it does not exist; default: no, that is an error. */
        public Builder createSlot(boolean value) {
            this.createSlot = value;
            return this;
        }

        /**
         * The WAL archive to stream into: segments and the segment being filled ({@code .partial}, superseding the
         * archived one) are {@link WalArchive#push pushed}, partials of a completed segment
         * {@link WalArchive#removePartials removed}.
         */
        public Builder archive(WalArchive value) {
            Objects.requireNonNull(value, "archive");
            return destination(new ArchiveDestination(value));
        }

        /** Where the streamed WAL goes (tests: a directory). */
        Builder destination(WalDestination value) {
            this.destination = Objects.requireNonNull(value, "destination");
            return this;
        }

        /**
         * A local directory for the segment being filled (at most one segment and one history file at a time);
         * default: a temporary directory, removed when {@link #run()} returns.
         */
        public Builder spoolDirectory(Path value) {
            this.spool = Objects.requireNonNull(value, "spoolDirectory");
            return this;
        }

        /**
         * How often, at most, the segment being filled is pushed while WAL arrives, counted from the start of one push
         * to the start of the next (default 500 ms; 100 ms to 1 h). WAL the server has flushed is durable in the
         * archive within this interval plus one push's duration: with 500 ms, a commit older than a second is in the
         * archive unless pushes take longer than half a second.
         */
        public Builder partialInterval(Duration value) {
            if (value.compareTo(Duration.ofMillis(100)) < 0 || value.compareTo(Duration.ofHours(1)) > 0) {
                throw new InvalidInputException("the .partial push interval must be between 100 ms and 1 h, not "
                        + value);
            }
            this.partialInterval = value;
            return this;
        }

        /** How often the receiver reports its positions to the server when nothing else does (default 10 s). */
        public Builder statusInterval(Duration value) {
            if (value.isNegative() || value.isZero() || value.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new InvalidInputException("the status interval must be between 1 ms and 10 minutes, not " + value);
            }
            this.statusInterval = value;
            return this;
        }

        /** The clock of {@link Progress#lastPush()} and of the push interval (tests). */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        public WalReceiver build() {
            if (connection == null) {
                throw new InvalidInputException("a WAL receiver needs a connection to the server");
            }
            if (destination == null) {
                throw new InvalidInputException("a WAL receiver needs the WAL archive to stream into");
            }
            return new WalReceiver(this);
        }
    }
}
