package com.mintreplica.backup.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.ConflictException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease on a repository, held as an object {@code locks/<random id>} on its Sink: shared for backups, exclusive for
 * prune. The rule (see docs/prune.md):
 *
 * <ol>
 *   <li>To acquire, write your lock object, then list {@code locks/}. If another lock that is not stale conflicts
 *       (either of the two is exclusive), delete yours and retry until the wait is over. Of two processes that race,
 *       at least one sees the other's lock (each lists after it wrote), so an exclusive lock never overlaps another
 *       lock; at worst both back off and retry.</li>
 *   <li>While held, the lock object is rewritten every {@code refreshEvery} with the time. Another process takes a
 *       lock as stale when neither that time nor the object's store time is newer than {@code staleAfter}, or when it
 *       names a process of this host (and PID namespace) that no longer runs.</li>
 *   <li>The holder trusts its own lease only for half of {@code staleAfter} after its last successful refresh, and
 *       never after its lock object vanished: {@link #check()} fails then, and the holder stops before it commits or
 *       deletes anything more. A lease once lost is never refreshed again, so a lock that another process judged stale
 *       never comes back.</li>
 * </ol>
 *
 * <p>The holder owns one daemon thread that refreshes the lease; {@link #close()} stops it and deletes the lock.
 */
public final class RepositoryLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RepositoryLock.class);
    private static final JsonFactory JSON = new JsonFactory();
    public static final String PREFIX = "locks/";

    /** Shared locks (backups) coexist; an exclusive lock (prune) excludes every other lock. */
    public enum Kind {
        SHARED, EXCLUSIVE
    }

    /**
     * Timings every process of a repository must agree on, and the clock.
     *
     * @param staleAfter a lock not refreshed for this long is stale (restic's 30 minutes)
     * @param refreshEvery how often a holder refreshes its lock
     * @param retryEvery how long to wait between attempts while another lock conflicts (with jitter)
     * @param clock the time written into locks and compared with them
     */
    public record Settings(Duration staleAfter, Duration refreshEvery, Duration retryEvery, Clock clock) {
        public static final Settings DEFAULT = new Settings(Duration.ofMinutes(30), Duration.ofMinutes(5),
                Duration.ofSeconds(2), Clock.systemUTC());

        public Settings {
            Objects.requireNonNull(clock, "clock");
            if (refreshEvery.compareTo(staleAfter.dividedBy(3)) > 0) {
                throw new IllegalArgumentException("refresh at least three times per stale period: " + refreshEvery
                        + " vs " + staleAfter);
            }
        }

        public Settings withClock(Clock value) {
            return new Settings(staleAfter, refreshEvery, retryEvery, value);
        }
    }

    /**
     * What one lock object says.
     *
     * @param name the object's name
     * @param exclusive whether it is exclusive
     * @param operation what holds it, e.g. {@code backup of fs:/etc}
     * @param host the holder's host
     * @param pid the holder's process id
     * @param pidNamespace the holder's PID namespace on Linux, empty elsewhere
     * @param boot the holder's boot id on Linux (the kernel's random id of the machine's current boot), empty elsewhere
     *     and in locks written before it was written
     * @param created when it was first written
     * @param refreshed when its holder last refreshed it
     * @param stored when the Sink last stored it
     */
    public record Info(String name, boolean exclusive, String operation, String host, long pid, String pidNamespace,
                       String boot, Instant created, Instant refreshed, Instant stored) {

        /** Whether the lock is stale at {@code now}: not refreshed for {@code staleAfter}, or its process is gone. */
        public boolean isStale(Instant now, Duration staleAfter, Identity self) {
            Instant newest = refreshed.isAfter(stored) ? refreshed : stored;
            if (newest.plus(staleAfter).isBefore(now)) {
                return true;
            }
            return heldByDeadProcess(self);
        }

        /**
         * Whether a process of this machine, boot and pid namespace made the lock, and is gone. The host name alone
         * does not tell machines apart (two machines can share one), nor the pid namespace (the first one's id is the
         * same on every Linux machine): a machine took another's live lock for its own dead process's. A lock that
         * names no boot (written before it was written) goes stale by age only.
         */
        public boolean heldByDeadProcess(Identity self) {
            return pid > 0 && self.sameScope(host, pidNamespace, boot) && pid != self.pid() && ProcessHandle.of(pid).isEmpty();
        }

        /** For messages: {@code prune on host db1 (pid 4711) since 2026-11-24T01:00:00Z}. */
        public String describe() {
            return (operation.isEmpty() ? (exclusive ? "an exclusive lock" : "a shared lock") : operation) + " on host "
                    + host + " (pid " + pid + ") since " + created + ", refreshed " + refreshed + " ('" + name + "')";
        }
    }

    /** Who this process is, as written into its locks. */
    public record Identity(String host, long pid, String pidNamespace, String boot) {
        public static Identity current() {
            String namespace = "";
            try {
                namespace = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                // not Linux: the host name alone tells processes apart
            }
            String boot = "";
            try {
                boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), java.nio.charset.StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) {
                // not Linux
            }
            return new Identity(com.mintreplica.backup.core.Hosts.local(), ProcessHandle.current().pid(), namespace, boot);
        }

        boolean sameScope(String otherHost, String otherNamespace, String otherBoot) {
            return host.equals(otherHost) && pidNamespace.equals(otherNamespace) && boot.equals(otherBoot)
                    && (!boot.isEmpty() || pidNamespace.isEmpty());
        }
    }

    private final Store store;
    private final Kind kind;
    private final String operation;
    private final Settings settings;
    private final Identity self;
    private final String name;
    /** Locks of dead processes on this host that taking this lock removed (for the prune report). */
    private final List<Info> removedDead = new ArrayList<>();
    private final Instant created;
    private ScheduledExecutorService refresher;
    /** The write session a shared lease holds (a writer's session key lives as long as it). */
    private com.mintreplica.backup.core.encryption.AccessControl.Session session;
    private volatile Instant validUntil;
    private volatile String lost;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private RepositoryLock(Store store, Kind kind, String operation, Settings settings, Identity self, String name,
                           Instant created) {
        this.store = store;
        this.kind = kind;
        this.operation = operation;
        this.settings = settings;
        this.self = self;
        this.name = name;
        this.created = created;
        this.validUntil = created.plus(settings.staleAfter().dividedBy(2));
    }

    /**
     * Takes a lock, retrying while a conflicting lock is held, for at most {@code wait}.
     *
     * @param operation what the lock is for, for other processes' messages
     * @throws ConflictException when a conflicting lock is still held after {@code wait}, naming its holder
     */
    public static RepositoryLock acquire(Store store, Kind kind, String operation, Duration wait, Settings settings) {
        return acquire(store, kind, operation, wait, settings, Watchdog.off(operation));
    }

    /**
     * Like {@link #acquire(Store, Kind, String, Duration, Settings)}, for a run with a stall watchdog: the pauses
     * between attempts are waits with their own limit ({@code wait}), not a stall.
     */
    public static RepositoryLock acquire(Store store, Kind kind, String operation, Duration wait, Settings settings,
                                         Watchdog watch) {
        Identity self = Identity.current();
        Clock clock = settings.clock();
        Instant deadline = clock.instant().plus(wait);
        String name = PREFIX + UUID.randomUUID().toString().replace("-", "");
        // The write session starts before the lock is written: the keys see the repository as it is now (a writer
        // checks it is not revoked, and writes nothing if it is; readers learn whether there are writers, which decides
        // how the lock itself is sealed), and a writer's session key lives as long as this lease.
        com.mintreplica.backup.core.encryption.AccessControl.Session session = store.beginWrite();
        try {
            return acquire(store, kind, operation, settings, self, clock, deadline, name, session, watch);
        } catch (RuntimeException | Error e) {
            session.close();
            throw e;
        }
    }

    private static RepositoryLock acquire(Store store, Kind kind, String operation, Settings settings, Identity self,
                                          Clock clock, Instant deadline, String name,
                                          com.mintreplica.backup.core.encryption.AccessControl.Session session,
                                          Watchdog watch) {
        List<Info> dead = new ArrayList<>();
        boolean said = false;
        while (true) {
            Instant now = clock.instant();
            write(store, name, kind, operation, self, now, now, true);
            RepositoryLock lock = new RepositoryLock(store, kind, operation, settings, self, name, now);
            List<Info> conflicts = new ArrayList<>();
            try {
                for (Info other : lock.others()) {
                    if (other.heldByDeadProcess(self)) {
                        // A killed run on this host: its process is gone, so nothing holds the lock. Whoever finds
                        // it removes it (only prune did, so locks/ filled with one per killed backup or copy).
                        if (removeDead(store, other)) {
                            dead.add(other);
                        }
                    } else if ((kind == Kind.EXCLUSIVE || other.exclusive())
                            && !other.isStale(clock.instant(), settings.staleAfter(), self)) {
                        conflicts.add(other);
                    }
                }
            } catch (RuntimeException e) {
                lock.close();
                throw e;
            }
            if (conflicts.isEmpty()) {
                lock.removedDead.addAll(dead);
                lock.session = session;
                lock.startRefreshing();
                lock.register();
                LOG.debug("{} lock {} taken on {} for {}", kind, name, store.location(), operation);
                return lock;
            }
            store.delete(name);
            Instant after = clock.instant();
            if (!after.isBefore(deadline)) {
                Info first = conflicts.get(0);
                throw new ConflictException("cannot " + operation + ": the repository at " + store.location()
                        + " is locked by " + first.describe() + ". Run it again when that is done; if that process is"
                        + " gone, its lock is ignored " + settings.staleAfter().toMinutes()
                        + " minutes after its last refresh (or at once on the same host)");
            }
            long pause = settings.retryEvery().toMillis();
            pause = pause / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, pause));
            pause = Math.min(pause, Math.max(1, Duration.between(after, deadline).toMillis()));
            Info holder = conflicts.get(0);
            if (!said) {
                // once, where an operator sees it: a backup that waited for another host's prune said so only with -v
                LOG.warn("{} waits for {} to end, until {} at the latest", operation, holder.describe(), deadline);
                said = true;
            } else {
                LOG.info("{} waits for {}", operation, holder.describe());
            }
            try (Watchdog.Activity waiting = watch.exempt("lease", () -> "waiting until " + deadline + " for "
                    + holder.describe() + " to release the repository")) {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackupException("interrupted while waiting for the lock on " + store.location());
            }
        }
    }

    /** Every lock on the repository, readable or not (an unreadable one is reported with what its object tells). */
    public static List<Info> list(Store store) {
        List<Info> out = new ArrayList<>();
        for (ObjectInfo o : store.list(PREFIX)) {
            read(store, o).ifPresent(out::add);
        }
        return out;
    }

    /** The locks of other holders. */
    private List<Info> others() {
        List<Info> out = new ArrayList<>(list(store));
        out.removeIf(i -> i.name().equals(name));
        return out;
    }

    /**
     * Deletes the locks that are stale now; returns them, with the locks of dead processes on this host that taking
     * this lock removed. Only an exclusive holder should do this.
     */
    public List<Info> removeStale() {
        List<Info> removed = new ArrayList<>(removedDead);
        removedDead.clear();
        for (Info other : others()) {
            if (other.isStale(settings.clock().instant(), settings.staleAfter(), self)) {
                store.delete(other.name());
                removed.add(other);
                LOG.info("removed the stale lock of {}", other.describe());
            }
        }
        return removed;
    }

    private static boolean removeDead(Store store, Info other) {
        try {
            store.delete(other.name());
            LOG.info("removed the lock of {}: its process is gone", other.describe());
            return true;
        } catch (RuntimeException e) {
            LOG.debug("cannot remove the lock '{}' of a process that is gone: {}", other.name(), e.toString());
            return false;
        }
    }

    /** This lock's object name. */
    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * Fails unless the lease still holds: refreshed recently enough and its object still there. Call it right before
     * committing or deleting, so that nothing is changed under a lock another process may have taken as stale.
     *
     * @throws ConflictException when the lease is lost
     */
    public void check() {
        String why = lost;
        if (why == null && settings.clock().instant().isAfter(validUntil)) {
            why = "it was last refreshed before " + validUntil.minus(settings.staleAfter().dividedBy(2))
                    + " and may be taken as stale by now";
        }
        if (why == null) {
            try {
                if (store.sink().stat(name).isEmpty()) {
                    why = "its object '" + name + "' was removed by another process";
                }
            } catch (IOException e) {
                why = "it cannot be checked (" + e.getMessage() + ")";
            }
        }
        if (why != null) {
            lost = why;
            throw new ConflictException("the " + kind.name().toLowerCase(java.util.Locale.ROOT) + " lock of "
                    + operation + " on " + store.location() + " was lost: " + why
                    + ". It stopped before committing or deleting anything more; run it again");
        }
    }

    /**
     * Fails unless the lease still holds by this process's own account (refreshed recently enough, not found removed),
     * without asking the Sink: cheap enough to call before every single change.
     *
     * @throws ConflictException when the lease is lost
     */
    public void checkLease() {
        if (lost != null || settings.clock().instant().isAfter(validUntil)) {
            check();
        }
    }

    private void startRefreshing() {
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mint-backup-lock-refresh");
            t.setDaemon(true);
            return t;
        });
        long every = settings.refreshEvery().toMillis();
        refresher.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.MILLISECONDS);
    }

    /** Rewrites the lock with the time, unless the lease is already lost. */
    void refresh() {
        if (closed.get() || lost != null) {
            return;
        }
        Instant start = settings.clock().instant();
        if (start.isAfter(validUntil)) {
            lost = "it could not be refreshed in time";
            LOG.warn("the lock of {} on {} expired before it could be refreshed", operation, store.location());
            return;
        }
        try {
            if (store.sink().stat(name).isEmpty()) {
                lost = "its object '" + name + "' was removed by another process";
                LOG.warn("the lock of {} on {} was removed by another process", operation, store.location());
                return;
            }
            write(store, name, kind, operation, self, created, start, false);
            validUntil = start.plus(settings.staleAfter().dividedBy(2));
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot refresh the lock of {} on {}: {}", operation, store.location(), e.toString());
        }
    }

    /**
     * The leases this process holds, given back by a shutdown hook when the JVM exits before they are closed (Ctrl-C,
     * SIGTERM from systemd or a container stop): a lease left behind blocked other hosts' prunes and exclusive
     * commands until it went stale, half an hour later. What the interrupted run stored and did not commit stays, for
     * prune (unindexed packs are kept for a grace period, so a pack still being uploaded is not taken). Only where the
     * system property {@code mint.backup.releaseLocksOnExit} is {@code true} (the CLI's one-shot commands): an
     * application that stops its runs gracefully in a hook of its own (the daemon, a Spring context) needs their leases
     * until they end.
     */
    private static final java.util.Set<RepositoryLock> OPEN = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final java.util.concurrent.atomic.AtomicBoolean HOOKED = new java.util.concurrent.atomic.AtomicBoolean();

    private void register() {
        if (!Boolean.getBoolean("mint.backup.releaseLocksOnExit")) {
            return;
        }
        OPEN.add(this);
        if (HOOKED.compareAndSet(false, true)) {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(RepositoryLock::releaseAll, "mint-backup-lock-release"));
            } catch (IllegalStateException exiting) {
                // the JVM is exiting already: nothing more can be given back
            }
        }
    }

    /** Gives back every lease still held: the process is exiting. Its runs fail their next check, so commit nothing. */
    static void releaseAll() {
        for (RepositoryLock lock : List.copyOf(OPEN)) {
            lock.lost = "the process is exiting";
            LOG.warn("interrupted: the lock of {} on {} is given back; what it stored and did not commit is left for"
                    + " prune", lock.operation, lock.store.location());
            lock.abandon(Duration.ofSeconds(5));
        }
    }

    /** Stops refreshing and deletes the lock. */
    @Override
    public void close() {
        OPEN.remove(this);
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (session != null) {
            session.close();
        }
        if (refresher != null) {
            refresher.shutdownNow();
            try {
                refresher.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            store.sink().delete(name);
        } catch (IOException e) {
            LOG.warn("cannot remove the lock '{}' from {}: {}; it is ignored once stale", name, store.location(), e.toString());
        }
    }

    /**
     * Gives the lease back for a run that was abandoned while its own thread may be stuck in a store call: stops
     * refreshing at once and deletes the lock object on the refresher's thread, waiting at most {@code wait} for the
     * store. If the store does not answer, the lock is left to go stale ({@code staleAfter} after its last refresh);
     * it is never refreshed again. Safe to call from any thread; {@link #close()} afterwards does nothing.
     */
    public void abandon(Duration wait) {
        OPEN.remove(this);
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (session != null) {
            session.close(); // a writer forgets its session key with the lease
        }
        ScheduledExecutorService r = refresher;
        if (r == null) {
            return;
        }
        // Queued behind a refresh that may be running; the periodic refresh itself sees closed and does nothing.
        java.util.concurrent.Future<?> deleted = r.submit(() -> {
            try {
                store.sink().delete(name);
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot remove the lock '{}' from {}: {}; it is ignored once stale", name, store.location(),
                        e.toString());
            }
        });
        r.shutdown();
        try {
            deleted.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("the lock '{}' on {} could not be removed in time; it is ignored once stale", name, store.location());
        }
    }

    // ---- the lock object

    private static void write(Store store, String name, Kind kind, String operation, Identity self, Instant created,
                              Instant refreshed, boolean create) {
        byte[] sealed;
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            try (JsonGenerator g = JSON.createGenerator(out)) {
                g.writeStartObject();
                g.writeNumberField("version", 1);
                g.writeBooleanField("exclusive", kind == Kind.EXCLUSIVE);
                // In an encrypted repository every key holder reads leases, writers too: name the kind of operation, never
                // what it backs up or copies (paths, database names, addresses).
                g.writeStringField("operation", store.codec().keyed() ? kindOf(operation) : operation);
                g.writeStringField("host", self.host());
                g.writeNumberField("pid", self.pid());
                g.writeStringField("pidNamespace", self.pidNamespace());
                g.writeStringField("boot", self.boot());
                g.writeStringField("created", created.toString());
                g.writeStringField("refreshed", refreshed.toString());
                g.writeEndObject();
            }
            // Sealed with what readers and writers share, so each sees the other's leases.
            sealed = store.encodeLock(name, out.toByteArray());
        } catch (IOException e) {
            throw new BackupException("cannot encode the lock '" + name + "': " + e.getMessage(), e);
        }
        Sink sink = store.sink();
        try {
            if (create && sink.capabilities().contains(SinkCapability.ATOMIC_CREATE)) {
                if (!sink.putIfAbsent(name, new ByteArrayInputStream(sealed), sealed.length, ObjectKind.LOCK)) {
                    throw new ConflictException("the lock '" + name + "' exists already on " + store.location());
                }
            } else {
                sink.put(name, new ByteArrayInputStream(sealed), sealed.length, ObjectKind.LOCK);
            }
        } catch (IOException e) {
            throw new BackupException("cannot write the lock '" + name + "' to " + store.location() + ": "
                    + e.getMessage(), e);
        }
    }

    /** The words of {@code operation} before the first that names something ({@code back up fs:/etc} gives {@code back up}). */
    static String kindOf(String operation) {
        StringBuilder out = new StringBuilder();
        for (String word : operation.split(" ")) {
            if (word.contains(":") || word.contains("/") || word.contains("@")) {
                break;
            }
            out.append(out.length() == 0 ? "" : " ").append(word);
        }
        return out.toString();
    }

    /** Unreadable locks already warned of in this JVM (names are random, so the set stays small). */
    private static final java.util.Set<String> WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static Optional<Info> read(Store store, ObjectInfo object) {
        byte[] plain;
        try {
            plain = store.readLock(object.name());
        } catch (com.mintreplica.backup.core.NotFoundException vanished) {
            return Optional.empty();
        } catch (CorruptDataException e) {
            // Unreadable (half-written by a foreign tool, or damaged): judged by its store time alone.
            if (WARNED.add(object.name())) {
                // once per lock: a run waiting for it re-reads it at every poll
                LOG.warn("the lock '{}' on {} cannot be read: {}", object.name(), store.location(), e.getMessage());
            }
            return Optional.of(new Info(object.name(), true, "an unreadable lock", "?", -1, "?", "?", object.lastModified(),
                    object.lastModified(), object.lastModified()));
        }
        try (JsonParser p = JSON.createParser(plain)) {
            boolean exclusive = true;
            String operation = "";
            String host = "?";
            long pid = -1;
            String namespace = "";
            String boot = "";
            Instant created = object.lastModified();
            Instant refreshed = object.lastModified();
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "exclusive" -> exclusive = p.getBooleanValue();
                    case "operation" -> operation = p.getText();
                    case "host" -> host = p.getText();
                    case "pid" -> pid = p.getLongValue();
                    case "pidNamespace" -> namespace = p.getText();
                    case "boot" -> boot = p.getText();
                    case "created" -> created = Instant.parse(p.getText());
                    case "refreshed" -> refreshed = Instant.parse(p.getText());
                    default -> p.skipChildren();
                }
            }
            return Optional.of(new Info(object.name(), exclusive, operation, host, pid, namespace, boot, created,
                    refreshed, object.lastModified()));
        } catch (IOException | RuntimeException e) {
            if (WARNED.add(object.name())) {
                LOG.warn("the lock '{}' on {} cannot be parsed: {}", object.name(), store.location(), e.toString());
            }
            return Optional.of(new Info(object.name(), true, "an unreadable lock", "?", -1, "?", "?", object.lastModified(),
                    object.lastModified(), object.lastModified()));
        }
    }
}
