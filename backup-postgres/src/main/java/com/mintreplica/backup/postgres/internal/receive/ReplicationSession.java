package com.mintreplica.backup.postgres.internal.receive;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.postgres.PostgresConnection;
import com.mintreplica.backup.postgres.internal.Jdbc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.postgresql.copy.CopyDual;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.v3.replication.V3PGReplicationStream;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.replication.ReplicationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replication connection of the WAL receiver: finds where to start from the slot, follows the server's timeline
 * history, streams WAL into a local segment file and pushes it (as {@code .partial} while it fills, whole once full),
 * reporting to the server as flushed only what the destination confirmed. Returns when the stream ends (a timeline
 * ended, the server closed it) or the receiver stops; throws when the connection fails.
 *
 * <p>Why not pgjdbc's {@code replicationStream().physical()} builder: it cannot name a timeline, and following a
 * timeline switch needs {@code START_REPLICATION ... TIMELINE n}. The command is sent through the driver's copy
 * protocol and read through its own {@code V3PGReplicationStream}, so the framing, keepalive replies and status
 * messages are still the driver's.
 */
public final class ReplicationSession {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicationSession.class);
    /** How long a quiet stream waits before it asks the server whether its timeline changed. */
    private static final long PROBE_AFTER_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(3);

    /** What the session tells its receiver. */
    public interface Progress {
        void received(int timeline, long lsn);

        void durable(long lsn, boolean wholeSegment);
    }

    private final PostgresConnection connection;
    private final String slot;
    private final boolean createSlot;
    private WalDestination destination;
    private final Path spool;
    private final Duration partialInterval;
    private final Duration statusInterval;
    private final Clock clock;
    private final BooleanSupplier stopping;
    private final Progress progress;

    public ReplicationSession(PostgresConnection connection, String slot, boolean createSlot, WalDestination destination,
                              Path spool, Duration partialInterval, Duration statusInterval, Clock clock,
                              BooleanSupplier stopping, Progress progress) {
        this.connection = Objects.requireNonNull(connection);
        this.slot = Objects.requireNonNull(slot);
        this.createSlot = createSlot;
        this.destination = Objects.requireNonNull(destination);
        this.spool = Objects.requireNonNull(spool);
        this.partialInterval = partialInterval;
        this.statusInterval = statusInterval;
        this.clock = clock;
        this.stopping = stopping;
        this.progress = progress;
    }

    /**
     * Streams until the stream ends or the receiver stops.
     *
     * @param knownDurable the end of the WAL this receiver already made durable (-1: none yet)
     */
    public void stream(long knownDurable) throws IOException {
        try (Connection c = open()) {
            stream(c, knownDurable);
        } catch (SQLException e) {
            throw new IOException(message(e), e);
        }
    }

    private void stream(Connection c, long knownDurable) throws SQLException, IOException {
        Identity id = identify(c);
        destination = destination.forSystem(id.systemId);
        long segmentSize = Lsn.parseSize(single(c, "SHOW wal_segment_size"));
        SlotPosition position = readSlot(c);
        if (position == null) {
            if (!createSlot) {
                throw new InvalidInputException("the replication slot '" + slot + "' does not exist on "
                        + connection.describe() + ": create it (mint-backup wal-receive --create-slot, or SQL"
                        + " select pg_create_physical_replication_slot('" + slot + "', true)), or name an existing"
                        + " physical slot");
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE_REPLICATION_SLOT \"" + slot + "\" PHYSICAL RESERVE_WAL");
            }
            LOG.info("created the physical replication slot '{}' on {}", slot, connection.describe());
            position = readSlot(c);
            if (position == null) {
                throw new BackupException("the replication slot '" + slot + "' was created on "
                        + connection.describe() + " but cannot be read back");
            }
        }
        String history = id.timeline > 1 ? pushHistories(c, id.timeline) : "";
        long start;
        int timeline;
        if (position.restartLsn >= 0) {
            start = position.restartLsn;
            timeline = position.restartTimeline > 0 ? position.restartTimeline : id.timeline;
        } else {
            start = id.position;
            timeline = id.timeline;
        }
        if (knownDurable > start) {
            start = knownDurable;
        }
        while (timeline < id.timeline) {
            long end = Lsn.switchPoint(history, timeline);
            if (end < 0 || start < end) {
                break;
            }
            timeline = Lsn.nextTimeline(history, timeline, id.timeline);
        }
        // A .partial is pushed only once it holds at least what an earlier push (by an earlier process, which may
        // have pushed more than it reported) can have held: the server's position when we connected, or the end of
        // the historic timeline being streamed.
        long floor = timeline == id.timeline ? Math.max(start, id.position)
                : Math.max(start, Lsn.switchPoint(history, timeline));
        long segmentStart = Lsn.segmentStart(start, segmentSize);
        String command = "START_REPLICATION SLOT \"" + slot + "\" PHYSICAL " + Lsn.format(segmentStart)
                + " TIMELINE " + timeline;
        LOG.info("streaming WAL from {} on timeline {} from {} (slot '{}', server at {} on timeline {})",
                connection.describe(), timeline, Lsn.format(segmentStart), slot, Lsn.format(id.position), id.timeline);
        CopyDual copy = (CopyDual) c.unwrap(BaseConnection.class).getQueryExecutor().startCopy(command, true);
        PGReplicationStream stream = new V3PGReplicationStream(copy, LogSequenceNumber.valueOf(segmentStart),
                statusInterval.toMillis(), false, ReplicationType.PHYSICAL);
        long reported = Math.max(segmentStart, knownDurable);
        report(stream, reported);
        Segment segment = new Segment(timeline, segmentStart, segmentSize);
        Connection probe = null;
        try {
            long pos = segmentStart;
            Instant nextPartial = Instant.MIN;
            long lastData = System.nanoTime();
            long lastProbe = System.nanoTime();
            while (true) {
                if (stopping.getAsBoolean()) {
                    if (segment.dirty && pos >= floor) {
                        pushPartial(stream, segment, pos);
                    }
                    return;
                }
                ByteBuffer data = stream.readPending();
                if (data == null) {
                    if (stream.isClosed()) {
                        if (segment.dirty && pos >= floor) {
                            pushPartial(stream, segment, pos);
                        }
                        LOG.info("the server ended the stream of timeline {} at {}", timeline, Lsn.format(pos));
                        return;
                    }
                    if (segment.dirty && pos >= floor && !clock.instant().isBefore(nextPartial)) {
                        nextPartial = clock.instant().plus(partialInterval); // from the push's start: a steady rate
                        pushPartial(stream, segment, pos);
                    }
                    long now = System.nanoTime();
                    if (now - lastData > PROBE_AFTER_NANOS && now - lastProbe > PROBE_AFTER_NANOS) {
                        // A timeline that ends (a promotion) ends the stream with CopyDone, which the driver does not
                        // surface: the stream just goes quiet. So a quiet stream asks the server which timeline it
                        // is on, on a second replication connection kept for that.
                        lastProbe = now;
                        if (probe == null) {
                            probe = open();
                        }
                        int current = identify(probe).timeline;
                        if (current != timeline) {
                            if (segment.dirty && pos >= floor) {
                                pushPartial(stream, segment, pos);
                            }
                            LOG.info("the server is on timeline {} now: the stream of timeline {} ended at {}",
                                    current, timeline, Lsn.format(pos));
                            return;
                        }
                    }
                    sleep(5);
                    continue;
                }
                lastData = System.nanoTime();
                long end = stream.getLastReceiveLSN().asLong();
                long begin = end - data.remaining();
                if (begin != pos) {
                    throw new IOException("the server sent WAL from " + Lsn.format(begin) + " where " + Lsn.format(pos)
                            + " was expected");
                }
                while (data.hasRemaining()) {
                    long segmentEnd = segment.start + segmentSize;
                    int n = (int) Math.min(data.remaining(), segmentEnd - pos);
                    ByteBuffer piece = data.slice();
                    piece.limit(n);
                    segment.write(piece, pos - segment.start);
                    data.position(data.position() + n);
                    pos += n;
                    progress.received(timeline, pos);
                    if (pos == segmentEnd) {
                        segment.complete();
                        progress.durable(segmentEnd, true); // durable first, then told to the server
                        report(stream, segmentEnd);
                        segment = new Segment(timeline, segmentEnd, segmentSize);
                    }
                }
                if (segment.dirty && pos >= floor && !clock.instant().isBefore(nextPartial)) {
                    nextPartial = clock.instant().plus(partialInterval);
                    pushPartial(stream, segment, pos);
                }
            }
        } finally {
            segment.discard();
            if (probe != null) {
                probe.close();
            }
        }
    }

    private void pushPartial(PGReplicationStream stream, Segment segment, long pos) throws IOException, SQLException {
        segment.pushPartial();
        progress.durable(pos, false);
        report(stream, pos);
    }

    private static void report(PGReplicationStream stream, long lsn) throws SQLException {
        LogSequenceNumber at = LogSequenceNumber.valueOf(lsn);
        stream.setFlushedLSN(at);
        stream.setAppliedLSN(at);
        stream.forceUpdateStatus();
    }

    /** The segment being filled: a file of the segment's size in the spool, zeros after what was received. */
    private final class Segment {
        final long start;
        final String name;
        final Path partial;
        FileChannel channel;
        boolean dirty;

        Segment(int timeline, long start, long size) throws IOException {
            this.start = start;
            this.name = Lsn.segmentName(timeline, start, size);
            this.partial = spool.resolve(name + ".partial");
            Files.deleteIfExists(partial);
            this.channel = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            // Zeros past the end of what was received (a sparse file): recovery stops there cleanly.
            channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
        }

        void write(ByteBuffer bytes, long offset) throws IOException {
            while (bytes.hasRemaining()) {
                offset += channel.write(bytes, offset);
            }
            dirty = true;
        }

        void pushPartial() throws IOException {
            destination.push(partial);
            dirty = false;
        }

        void complete() throws IOException {
            channel.close();
            channel = null;
            Path whole = spool.resolve(name);
            Files.move(partial, whole, StandardCopyOption.REPLACE_EXISTING);
            destination.push(whole);
            // An earlier push (this process's or an earlier one's) may have left the segment's .partial: superseded.
            destination.remove(name + ".partial");
            Files.deleteIfExists(whole);
            dirty = false;
            LOG.debug("pushed the completed segment {}", name);
        }

        void discard() {
            try {
                if (channel != null) {
                    channel.close();
                }
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                LOG.debug("could not remove {}", partial, e);
            }
        }
    }

    /** Pushes the history files of timelines 2 to {@code newest}; returns the newest one's text. */
    private String pushHistories(Connection c, int newest) throws SQLException, IOException {
        String text = "";
        for (int tli = 2; tli <= newest; tli++) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("TIMELINE_HISTORY " + tli)) {
                if (!rs.next()) {
                    throw new IOException("the server returned no history for timeline " + tli);
                }
                String name = rs.getString(1);
                text = rs.getString(2);
                if (!name.equals(Lsn.historyName(tli))) {
                    throw new IOException("the server named the history of timeline " + tli + " '" + name + "'");
                }
                Path file = spool.resolve(name);
                Files.writeString(file, text, StandardCharsets.UTF_8);
                try {
                    destination.push(file);
                } finally {
                    Files.deleteIfExists(file);
                }
            }
        }
        return text;
    }

    private record Identity(String systemId, int timeline, long position) {
    }

    private record SlotPosition(long restartLsn, int restartTimeline) {
    }

    private static Identity identify(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
            if (!rs.next()) {
                throw new SQLException("IDENTIFY_SYSTEM returned nothing");
            }
            return new Identity(rs.getString(1), rs.getInt(2), Lsn.parse(rs.getString(3)));
        }
    }

    /** The slot's position, or null when there is no such slot. */
    private SlotPosition readSlot(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("READ_REPLICATION_SLOT \"" + slot + "\"")) {
            if (!rs.next() || rs.getString(1) == null) {
                return null;
            }
            if (!"physical".equals(rs.getString(1))) {
                throw new InvalidInputException("the replication slot '" + slot + "' on " + connection.describe()
                        + " is a " + rs.getString(1) + " slot: WAL streaming needs a physical slot; name another one");
            }
            String restart = rs.getString(2);
            int tli = rs.getInt(3);
            return new SlotPosition(restart == null ? -1 : Lsn.parse(restart), rs.wasNull() ? 0 : tli);
        } catch (SQLException e) {
            if ("42601".equals(e.getSQLState())) {
                throw new InvalidInputException("the server at " + connection.describe() + " does not know"
                        + " READ_REPLICATION_SLOT: WAL streaming needs PostgreSQL 15 or newer (use archive_command"
                        + " with mint-backup wal-push on older servers)", e);
            }
            throw e;
        }
    }

    private static String single(Connection c, String command) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(command)) {
            if (!rs.next()) {
                throw new SQLException(command + " returned nothing");
            }
            return rs.getString(1);
        }
    }

    private Connection open() {
        PostgresConnection.Credentials credentials = connection.credentials();
        Properties props = new Properties();
        props.setProperty("user", credentials.user());
        credentials.password().ifPresent(p -> props.setProperty("password", p.reveal()));
        connection.parameters().forEach((k, v) -> {
            switch (k) {
                case "sslmode", "sslrootcert", "sslcert", "sslkey" -> props.setProperty(k, v);
                case "connect_timeout" -> props.setProperty("connectTimeout", v);
                default -> {
                }
            }
        });
        props.putIfAbsent("connectTimeout", "10");
        props.setProperty("ApplicationName", "mint-backup wal-receive");
        props.setProperty("replication", "true");
        props.setProperty("assumeMinServerVersion", "10");
        props.setProperty("preferQueryMode", "simple");
        props.setProperty("tcpKeepAlive", "true");
        String url = "jdbc:postgresql://" + (connection.host().contains(":") ? "[" + connection.host() + "]"
                : connection.host()) + ":" + connection.port() + "/";
        try {
            Connection c = new org.postgresql.Driver().connect(url, props);
            if (c == null) {
                throw new BackupException("the PostgreSQL JDBC driver did not accept " + connection.describe());
            }
            return c;
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState()) || String.valueOf(e.getMessage()).contains("replication connection")) {
                throw new com.mintreplica.backup.core.AccessDeniedException("PostgreSQL at " + connection.describe()
                        + " refused a replication connection to user '" + credentials.user() + "': " + e.getMessage()
                        + ". The user needs the REPLICATION attribute (ALTER ROLE ... REPLICATION) and pg_hba.conf a"
                        + " 'host replication' line for this host", e);
            }
            throw Jdbc.failure(e, connection);
        }
    }

    private static String message(SQLException e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while streaming WAL");
        }
    }
}
