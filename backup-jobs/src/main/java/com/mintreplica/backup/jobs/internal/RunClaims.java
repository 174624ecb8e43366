package com.mintreplica.backup.jobs.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.sink.NoSuchObjectException;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkCapability;
import com.mintreplica.backup.jobs.JobResult;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run records and leases of one job on its repository's Sink: who runs a scheduled slot is decided by atomic
 * create ({@link Sink#putIfAbsent}), and the claim expires if its holder stops renewing it. See docs/jobs.md.
 *
 * <pre>
 * jobs/&lt;job&gt;/&lt;slot&gt;/lease-000001   the first claim: holder, host, pid, expires
 * jobs/&lt;job&gt;/&lt;slot&gt;/lease-000002   its renewal (or a takeover after it expired), and so on
 * jobs/&lt;job&gt;/&lt;slot&gt;/done           the run record, written when the run ended; then the leases are deleted
 * </pre>
 *
 * <p>Leases are written as {@link ObjectKind#LOCK}, records as {@link ObjectKind#RECORD}: neither is a snapshot, so a
 * Sink with Object Lock puts no retention on them and {@link #prune} can delete old records. Records written before
 * that kind existed (as {@code SNAPSHOT}, possibly under retention) are read like any other, and {@link #prune} steps
 * over those the store still protects.
 *
 * <p>Rules: generation n+1 is created only by the holder of n (renewal, before n expires) or by anyone once n has
 * expired (takeover); atomic create lets exactly one of them have it. A holder that fails to create its renewal has
 * lost the slot and stops. Lease names are never reused while a slot is open; {@code done} is written before the
 * leases are deleted, and a new holder checks {@code done} after winning, so a finished slot never runs again.
 */
public final class RunClaims {
    private static final Logger LOG = LoggerFactory.getLogger(RunClaims.class);
    private static final JsonFactory JSON = new JsonFactory();
    public static final String PREFIX = "jobs/";
    private static final String LEASE = "lease-";
    private static final String DONE = "done";
    private static final DateTimeFormatter SLOT = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmm'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MANUAL = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Sink sink;
    private final String job;
    private final Clock clock;
    private final Duration lease;
    private final String holder;
    private final String host;
    private final boolean atomic;

    public RunClaims(Sink sink, String job, Clock clock, Duration lease, String holder, String host) {
        this.sink = sink;
        this.job = job;
        this.clock = clock;
        this.lease = lease;
        this.holder = holder;
        this.host = host;
        this.atomic = sink.capabilities().contains(SinkCapability.ATOMIC_CREATE);
    }

    /** What a claim attempt found. */
    public sealed interface Attempt permits Claimed, Done, Held {
    }

    /** This process holds the slot now. */
    public record Claimed(Claim claim) implements Attempt {
    }

    /** The slot was run already. */
    public record Done(JobResult record) implements Attempt {
    }

    /** Another process holds the slot until {@code expires}. */
    public record Held(String holder, String host, long pid, Instant expires) implements Attempt {
    }

    /** The name of a scheduled slot's directory: {@code 20261124T0100Z}. */
    public static String slotName(Instant slot) {
        return SLOT.format(slot.truncatedTo(ChronoUnit.MINUTES));
    }

    /** A directory name for a run by hand, never a scheduled slot's: {@code 20261124T010342Z-manual-1a2b}. */
    public static String manualName(Instant at, String holder) {
        return MANUAL.format(at) + "-manual-" + holder.substring(0, Math.min(8, holder.length()));
    }

    private String dir(String slotName) {
        return PREFIX + job + "/" + slotName + "/";
    }

    /**
     * Tries to claim {@code slot}.
     *
     * @throws UnsupportedException when the Sink cannot create objects atomically
     */
    public Attempt tryClaim(Instant slot) throws IOException {
        if (!atomic) {
            throw new UnsupportedException(sink.describe() + " cannot create objects atomically, which replicas need to"
                    + " share a schedule: use a Sink with atomic create (a directory, S3 with If-None-Match, GCS)");
        }
        String dir = dir(slotName(slot));
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<JobResult> done = readDone(dir);
            if (done.isPresent()) {
                return new Done(done.get());
            }
            int highest = highestLease(dir);
            if (highest > 0) {
                Optional<Map<String, String>> current = readJson(dir + leaseName(highest));
                if (current.isEmpty()) {
                    continue; // deleted under us: the slot finished; look again
                }
                Map<String, String> l = current.get();
                Instant expires = Instant.parse(l.get("expires"));
                if (clock.instant().isBefore(expires)) {
                    return new Held(l.get("holder"), l.get("host"), Long.parseLong(l.get("pid")), expires);
                }
                LOG.info("the claim of {} on job {} slot {} expired at {}: taking it over", l.get("host"), job, slot, expires);
            }
            int generation = highest + 1;
            Instant written = clock.instant();
            if (create(dir + leaseName(generation), lease(slot, generation, written, written.plus(lease)))) {
                if (readDone(dir).isPresent()) {
                    sink.delete(dir + leaseName(generation));
                    return new Done(readDone(dir).get());
                }
                return new Claimed(new Claim(slot, dir, generation, written));
            }
        }
        // Lost every race: someone else holds it now.
        int highest = highestLease(dir);
        Map<String, String> l = readJson(dir + leaseName(highest)).orElse(Map.of());
        return new Held(l.getOrDefault("holder", "?"), l.getOrDefault("host", "?"),
                Long.parseLong(l.getOrDefault("pid", "-1")), Instant.parse(l.getOrDefault("expires", clock.instant().toString())));
    }

    /** Writes the record of a run by hand ({@code --force}, or a job without schedule). */
    public void recordManual(JobResult result) throws IOException {
        put(dir(manualName(result.started(), holder)) + DONE, record(result));
    }

    /** Every run record of this job, oldest first. */
    public List<JobResult> history() throws IOException {
        List<JobResult> out = new ArrayList<>();
        for (String name : objectNames()) {
            if (name.endsWith("/" + DONE)) {
                readJson(name).map(RunClaims::toResult).ifPresent(out::add);
            }
        }
        out.sort(Comparator.comparing(JobResult::slot).thenComparing(JobResult::started));
        return out;
    }

    /**
     * The latest scheduled slot that was run (has its record), from the repository. A slot whose claim was given up or
     * whose holder died has no record, so it is not counted: it may be taken over.
     */
    public Optional<Instant> lastSlot() throws IOException {
        Optional<Instant> latest = Optional.empty();
        for (String name : objectNames()) {
            if (!name.endsWith("/" + DONE)) {
                continue;
            }
            String slot = name.substring(PREFIX.length() + job.length() + 1);
            slot = slot.substring(0, slot.indexOf('/'));
            if (slot.contains("-manual-")) {
                continue;
            }
            try {
                Instant t = SLOT.parse(slot, Instant::from);
                if (latest.isEmpty() || t.isAfter(latest.get())) {
                    latest = Optional.of(t);
                }
            } catch (java.time.format.DateTimeParseException e) {
                // not ours
            }
        }
        return latest;
    }

    /**
     * Deletes the records of all but the newest {@code keep} runs. A record the store still protects (one written
     * before records had their own kind, under S3 Object Lock retention) is left for a later prune; the others go.
     *
     * @return how many objects were left because the store protects them
     */
    public int prune(int keep) throws IOException {
        TreeMap<String, List<String>> bySlot = new TreeMap<>();
        for (String name : objectNames()) {
            String rest = name.substring(PREFIX.length() + job.length() + 1);
            bySlot.computeIfAbsent(rest.substring(0, rest.indexOf('/')), k -> new ArrayList<>()).add(name);
        }
        int protectedLeft = 0;
        while (bySlot.size() > keep) {
            for (String name : bySlot.pollFirstEntry().getValue()) {
                try {
                    sink.delete(name);
                } catch (ObjectLockedException e) {
                    protectedLeft++;
                    LOG.debug("run record {} is protected by the store and stays for now: {}", name, e.getMessage());
                }
            }
        }
        return protectedLeft;
    }

    private List<String> objectNames() throws IOException {
        try (Stream<ObjectInfo> listed = sink.list(PREFIX + job + "/")) {
            return listed.map(ObjectInfo::name).filter(n -> n.indexOf('/', PREFIX.length() + job.length() + 1) > 0).toList();
        }
    }

    private int highestLease(String dir) throws IOException {
        int highest = 0;
        try (Stream<ObjectInfo> listed = sink.list(dir + LEASE)) {
            for (ObjectInfo o : (Iterable<ObjectInfo>) listed::iterator) {
                try {
                    highest = Math.max(highest, Integer.parseInt(o.name().substring((dir + LEASE).length())));
                } catch (NumberFormatException e) {
                    // not a lease
                }
            }
        }
        return highest;
    }

    private Optional<JobResult> readDone(String dir) throws IOException {
        return readJson(dir + DONE).map(RunClaims::toResult);
    }

    private static String leaseName(int generation) {
        return LEASE + String.format("%06d", generation);
    }

    private boolean create(String name, byte[] content) throws IOException {
        return sink.putIfAbsent(name, new ByteArrayInputStream(content), content.length, ObjectKind.LOCK);
    }

    private void put(String name, byte[] content) throws IOException {
        sink.put(name, new ByteArrayInputStream(content), content.length, ObjectKind.RECORD);
    }

    private byte[] lease(Instant slot, int generation, Instant written, Instant expires) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("job", job);
        m.put("slot", slot.toString());
        m.put("generation", generation);
        m.put("holder", holder);
        m.put("host", host);
        m.put("pid", ProcessHandle.current().pid());
        m.put("written", written.toString());
        m.put("expires", expires.toString());
        return json(m);
    }

    /**
     * A claim this process holds. Renew it before it expires; complete or release it when the run ends. Renewing,
     * completing and releasing exclude each other, so a renewal on the scheduler's timer never writes a lease after
     * the run's end deleted them.
     */
    public final class Claim {
        private final Instant slot;
        private final String dir;
        private volatile int generation;
        private volatile Instant expires;
        /** When the current lease was written: its expiry minus the lease, whenever the store answered. */
        private volatile Instant renewed;
        private volatile boolean lost;
        /** Completed or released: a renewal that waited for that call writes nothing after it. */
        private volatile boolean ended;

        private Claim(Instant slot, String dir, int generation, Instant written) {
            this.slot = slot;
            this.dir = dir;
            this.generation = generation;
            this.expires = written.plus(lease);
            this.renewed = written;
        }

        public Instant slot() {
            return slot;
        }

        /**
         * Whether a renewal is due: a third of the lease has passed since the current lease was written. Counted from
         * the time the lease states, not from when the store confirmed it: a slow store must not push the next renewal
         * past the point where the lease has less than two thirds left (ClusterIT saw a replica whose write took long
         * enough for its clock to move 60 seconds; its next renewal came too late).
         */
        public boolean renewalDue() {
            return !lost && !ended && !clock.instant().isBefore(renewed.plus(lease.dividedBy(3)));
        }

        /**
         * Renews the lease by creating the next generation.
         *
         * @return false when another process created it first (it took the slot over): the claim is lost
         */
        public synchronized boolean renew() throws IOException {
            if (lost) {
                return false;
            }
            if (ended) {
                return true; // the run ended while this renewal waited: its leases are gone, nothing to renew
            }
            Instant now = clock.instant();
            if (!now.isBefore(expires)) {
                LOG.warn("the claim on job {} slot {} expired at {} before it was renewed", job, slot, expires);
            }
            int next = generation + 1;
            Instant newExpiry = now.plus(lease);
            if (!create(dir + leaseName(next), lease(slot, next, now, newExpiry))) {
                lost = true;
                return false;
            }
            generation = next;
            expires = newExpiry;
            renewed = now;
            return true;
        }

        public boolean lost() {
            return lost;
        }

        /** Writes the run record, then deletes the leases. */
        public synchronized void complete(JobResult result) throws IOException {
            ended = true;
            put(dir + DONE, record(result));
            for (int g = 1; g <= generation; g++) {
                sink.delete(dir + leaseName(g));
            }
        }

        /** Gives the slot up unfinished: the next generation says it expired now, so another replica may take it. */
        public synchronized void release() throws IOException {
            ended = true;
            if (lost) {
                return;
            }
            int next = generation + 1;
            Instant now = clock.instant();
            if (create(dir + leaseName(next), lease(slot, next, now, now))) {
                generation = next;
            }
            lost = true;
        }
    }

    // ---- records

    private byte[] record(JobResult r) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("job", r.job());
        m.put("slot", r.slot().toString());
        m.put("host", r.host());
        m.put("holder", holder);
        m.put("started", r.started().toString());
        m.put("finished", r.finished().toString());
        m.put("outcome", r.outcome().name());
        m.put("snapshot", r.snapshot().orElse(null));
        m.put("bytes", r.bytes());
        m.put("error", r.error().orElse(null));
        m.put("copies", String.join(",", r.copies()));
        return json(m);
    }

    private static JobResult toResult(Map<String, String> m) {
        String copies = m.getOrDefault("copies", "");
        return new JobResult(m.get("job"), Instant.parse(m.get("slot")), m.getOrDefault("host", "?"),
                Instant.parse(m.get("started")), Instant.parse(m.get("finished")), JobResult.Outcome.valueOf(m.get("outcome")),
                Optional.ofNullable(m.get("snapshot")), Long.parseLong(m.getOrDefault("bytes", "0")),
                Optional.ofNullable(m.get("error")), copies == null || copies.isEmpty() ? List.of()
                : List.copyOf(new TreeSet<>(List.of(copies.split(",")))));
    }

    private static byte[] json(Map<String, Object> fields) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, Object> e : fields.entrySet()) {
                Object v = e.getValue();
                if (v == null) {
                    g.writeNullField(e.getKey());
                } else if (v instanceof Number n) {
                    g.writeNumberField(e.getKey(), n.longValue());
                } else {
                    g.writeStringField(e.getKey(), v.toString());
                }
            }
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private Optional<Map<String, String>> readJson(String name) throws IOException {
        byte[] bytes;
        try (InputStream in = sink.get(name)) {
            bytes = in.readAllBytes();
        } catch (NoSuchObjectException e) {
            return Optional.empty();
        }
        Map<String, String> out = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("'" + name + "' in " + sink.describe() + " is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    p.skipChildren();
                } else {
                    out.put(field, t == JsonToken.VALUE_NULL ? null : p.getText());
                }
            }
        }
        return Optional.of(out);
    }
}
