package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.jobs.internal.RunClaims;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas (two JVMs) run one schedule against one repository: every slot runs exactly once, and when the replica
 * that holds a run is killed with SIGKILL, the other takes the run over once the lease has expired.
 *
 * <p>The replicas read a simulated clock that this test moves, 20 seconds at a time, and only once the replicas have
 * caught up with the step before: the newest due slot is claimed (or taken over once its lease expired), every live
 * holder has renewed its 2-minute lease when it had less than a minute left, and every run whose 3 minutes of reading
 * are over has committed. So the outcome never depends on the machine's speed. (This test used to give both replicas a
 * clock running 60 times faster than real time: a replica stalled for a second or two on a busy machine let its lease
 * expire, the other replica took the slot over, and the slot ran twice; or the holder finished before the test got to
 * kill it.)
 */
@Timeout(600)
class ClusterIT {
    static final Instant SIM_START = Instant.parse("2026-11-24T00:08:00Z");
    static final Duration STEP = Duration.ofSeconds(20);
    /** A live holder with less than this left on its lease must renew before the clock moves on. */
    static final Duration MARGIN = Duration.ofSeconds(60);

    @TempDir
    Path temp;
    final List<Process> processes = new ArrayList<>();
    final Map<String, Process> byName = new TreeMap<>();
    Path clockFile;
    Instant now;
    LocalDirectorySink sink;

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process worker(String name, Path repo, Path data) throws IOException {
        // its log goes to its output (not to the module's shared test log), so a failure message can show it
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-Dorg.slf4j.simpleLogger.logFile=System.out", "-Dorg.slf4j.simpleLogger.log.com.mintreplica=info",
                "-cp", System.getProperty("java.class.path"), ClusterWorker.class.getName(), repo.toString(), data.toString(),
                name, clockFile.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(temp.resolve(name + ".out").toFile()).start();
        processes.add(p);
        byName.put(name, p);
        return p;
    }

    private List<String> output(String name) throws IOException {
        Path f = temp.resolve(name + ".out");
        return Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : List.of();
    }

    /** Waits (in real time, only as a guard against a hang) until {@code condition} holds. */
    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Moves the simulated clock one step, then waits until both replicas have caught up with it. */
    private void step() throws InterruptedException {
        now = now.plus(STEP);
        ClusterWorker.FileClock.set(clockFile, now);
        try {
            await("the replicas to catch up with " + now, Duration.ofSeconds(120), this::caughtUp);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + diagnosis(), e);
        }
    }

    /** What the replicas printed and logged, and the leases: for a failure message. */
    private String diagnosis() {
        StringBuilder sb = new StringBuilder();
        for (String name : List.of("replica-a", "replica-b")) {
            sb.append("--- ").append(name).append(alive(name) ? " (alive)" : " (gone)").append(":\n");
            try {
                List<String> lines = output(name);
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> sb.append(l).append('\n'));
            } catch (IOException e) {
                sb.append(e).append('\n');
            }
            Process p = byName.get(name);
            if (p != null && p.isAlive()) {
                sb.append(threadDump(p.pid()));
            }
        }
        try (Stream<com.mintreplica.backup.core.sink.ObjectInfo> objects = sink.list(RunClaims.PREFIX)) {
            for (var o : objects.toList()) {
                try (var in = sink.get(o.name())) {
                    sb.append(o.name()).append(": ").append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
                }
            }
        } catch (IOException | RuntimeException e) {
            sb.append("cannot list the claims: ").append(e).append('\n');
        }
        return sb.toString();
    }

    /** The threads of a live replica (jstack), so a replica that stopped renewing shows where it waits. */
    private static String threadDump(long pid) {
        Path jstack = Path.of(System.getProperty("java.home"), "bin", "jstack");
        if (!Files.isExecutable(jstack)) {
            return "(no jstack in " + jstack.getParent() + ")\n";
        }
        try {
            Process p = new ProcessBuilder(jstack.toString(), Long.toString(pid)).redirectErrorStream(true).start();
            String dump = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
            return dump.lines().filter(l -> !l.isBlank()).collect(Collectors.joining("\n", "threads:\n", "\n"));
        } catch (IOException e) {
            return "jstack failed: " + e + "\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted\n";
        }
    }

    /** Moves the clock step by step until {@code condition} holds. */
    private void stepUntil(String what, BooleanSupplier condition) throws InterruptedException {
        while (!condition.getAsBoolean()) {
            assertThat(now).as("simulated time while waiting for " + what).isBefore(SIM_START.plus(Duration.ofHours(1)));
            step();
        }
    }

    private boolean caughtUp() {
        try {
            for (String name : List.of("replica-a", "replica-b")) {
                if (!alive(name)) {
                    continue;
                }
                List<String> lines = output(name);
                for (String line : lines) {
                    String[] start = line.split(" ");
                    // a run whose reading is over commits at this time, before the clock moves on
                    if (start[0].equals("START") && !now.isBefore(Instant.parse(start[2]).plus(ClusterWorker.READING))
                            && lines.stream().noneMatch(l -> l.startsWith("END " + start[1] + " "))) {
                        return false;
                    }
                }
            }
            Instant slot = Instant.ofEpochSecond(now.getEpochSecond() / 600 * 600);
            if (slot.isBefore(Instant.parse("2026-11-24T00:10:00Z"))) {
                return true;
            }
            String dir = RunClaims.PREFIX + "every10/" + RunClaims.slotName(slot) + "/";
            if (sink.stat(dir + "done").isPresent()) {
                return true;
            }
            if (leases(sink, dir).isEmpty()) {
                return false; // not claimed yet
            }
            Map<String, String> lease = highestLease(sink, dir);
            Instant expires = Instant.parse(lease.get("expires"));
            if (!expires.isAfter(now)) {
                return false; // expired: another replica takes it over
            }
            boolean holderAlive = processes.stream().anyMatch(p -> p.pid() == Long.parseLong(lease.get("pid")) && p.isAlive());
            return !holderAlive || Duration.between(now, expires).compareTo(MARGIN) >= 0;
        } catch (IOException | RuntimeException e) {
            return false; // an object being replaced right now: look again
        }
    }

    private boolean alive(String name) {
        Process p = byName.get(name);
        return p != null && p.isAlive();
    }

    private static Optional<JobResult> done(RunClaims claims, Instant slot) {
        try {
            return claims.history().stream().filter(r -> r.slot().equals(slot)).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Test
    void every_slot_runs_exactly_once_and_a_killed_holder_is_taken_over_after_its_lease_expires() throws Exception {
        Path repo = temp.resolve("repo");
        Path data = temp.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("ledger.csv"), "1,opening balance,100.00\n");
        clockFile = temp.resolve("clock");
        now = SIM_START;
        ClusterWorker.FileClock.set(clockFile, now);
        worker("replica-a", repo, data);
        worker("replica-b", repo, data);
        await("both replicas to start", Duration.ofSeconds(60), () -> {
            try {
                return output("replica-a").stream().anyMatch(l -> l.startsWith("READY"))
                        && output("replica-b").stream().anyMatch(l -> l.startsWith("READY"));
            } catch (IOException e) {
                return false;
            }
        });
        sink = new LocalDirectorySink(repo);
        RunClaims claims = new RunClaims(sink, "every10", new ClusterWorker.FileClock(clockFile), Duration.ofMinutes(2),
                "observer", "observer");
        Instant s10 = Instant.parse("2026-11-24T00:10:00Z");
        Instant s20 = s10.plus(Duration.ofMinutes(10));
        Instant s30 = s20.plus(Duration.ofMinutes(10));
        Instant s40 = s30.plus(Duration.ofMinutes(10));
        stepUntil("the 00:10 and 00:20 runs", () -> done(claims, s20).isPresent());

        // The 00:30 run: once its holder has renewed its lease, kill the holder while it is still reading (the clock
        // stands still meanwhile, so it cannot have got further).
        String slotDir = RunClaims.PREFIX + "every10/" + RunClaims.slotName(s30) + "/";
        stepUntil("the holder of the 00:30 run to renew its lease", () -> leases(sink, slotDir).size() >= 2);
        Map<String, String> lease = highestLease(sink, slotDir);
        long victim = Long.parseLong(lease.get("pid"));
        String victimName = lease.get("host");
        String survivorName = victimName.equals("replica-a") ? "replica-b" : "replica-a";
        // the claim and its renewals come from the scheduler's tick; the run itself may say START a moment later
        await("the holder to start the 00:30 run", Duration.ofSeconds(60), () -> {
            try {
                return output(victimName).stream().anyMatch(l -> l.startsWith("START " + s30));
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(output(victimName)).anySatisfy(l -> assertThat(l).startsWith("START " + s30))
                .noneSatisfy(l -> assertThat(l).startsWith("COMMIT " + s30));
        Process killed = processes.stream().filter(p -> p.pid() == victim).findFirst().orElseThrow();
        killed.destroyForcibly(); // SIGKILL: no shutdown hook, no release
        killed.waitFor();
        Map<String, String> last = highestLease(sink, slotDir);
        assertThat(last.get("host")).isEqualTo(victimName);
        Instant expired = Instant.parse(last.get("expires"));

        stepUntil("the takeover of the 00:30 run", () -> done(claims, s30).isPresent());
        stepUntil("the 00:40 run", () -> done(claims, s40).isPresent());

        JobResult takenOver = done(claims, s30).orElseThrow();
        assertThat(takenOver.host()).isEqualTo(survivorName);
        assertThat(takenOver.succeeded()).isTrue();
        Instant takeoverStart = output(survivorName).stream().filter(l -> l.startsWith("START " + s30))
                .map(l -> Instant.parse(l.split(" ")[2])).findFirst().orElseThrow();
        assertThat(takeoverStart).as("the survivor waits for the lease to expire").isAfterOrEqualTo(expired);
        assertThat(output(victimName)).anySatisfy(l -> assertThat(l).startsWith("START " + s30))
                .noneSatisfy(l -> assertThat(l).startsWith("END " + s30));

        // Every slot ran once: one run record, one END line across both replicas, one snapshot.
        List<Instant> slots = List.of(s10, s20, s30, s40);
        for (Instant slot : slots) {
            assertThat(done(claims, slot)).as("run record of %s", slot).hasValueSatisfying(r -> assertThat(r.succeeded()).isTrue());
            long ends = Stream.concat(output("replica-a").stream(), output("replica-b").stream())
                    .filter(l -> l.startsWith("END " + slot + " SUCCEEDED")).count();
            assertThat(ends).as("runs of %s", slot).isEqualTo(1);
        }
        processes.forEach(Process::destroyForcibly);
        for (Process p : processes) {
            p.waitFor();
        }
        try (Repository repository = Repository.open(sink)) {
            Map<Instant, Long> bySlot = repository.snapshots().stream()
                    .collect(Collectors.groupingBy(s -> slotOf(s), TreeMap::new, Collectors.counting()));
            for (Instant slot : slots) {
                assertThat(bySlot.get(slot)).as("snapshots of %s: %s", slot, bySlot).isEqualTo(1L);
            }
            assertThat(repository.snapshots()).allSatisfy(s -> assertThat(s.job()).contains("every10"));
        }
    }

    private static Instant slotOf(Snapshot s) {
        Instant t = s.time().truncatedTo(ChronoUnit.MINUTES);
        long minute = t.getEpochSecond() / 60;
        return Instant.ofEpochSecond((minute - minute % 10) * 60);
    }

    private static List<String> leases(LocalDirectorySink sink, String dir) {
        try (Stream<com.mintreplica.backup.core.sink.ObjectInfo> s = sink.list(dir + "lease-")) {
            return s.map(com.mintreplica.backup.core.sink.ObjectInfo::name).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static Map<String, String> highestLease(LocalDirectorySink sink, String dir) throws IOException {
        List<String> names = leases(sink, dir);
        String text;
        try (var in = sink.get(names.get(names.size() - 1))) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, String> out = new TreeMap<>();
        var m = java.util.regex.Pattern.compile("\"(\\w+)\":\"?([^\",}]*)\"?").matcher(text);
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }
}
