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
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas (two JVMs) run one schedule against one repository: every slot runs exactly once, and when the replica
 * that holds a run is killed with SIGKILL, the other takes the run over once the lease has expired. The replicas share
 * a clock that runs 60 times faster than real time (a simulated minute is a real second), so slots come every 10
 * seconds and a lease of 2 minutes lasts 2 seconds.
 */
class ClusterIT {
    static final long SCALE = 60;
    static final Instant SIM_START = Instant.parse("2026-11-24T00:08:00Z");

    @TempDir
    Path temp;
    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process worker(String name, Path repo, Path data, long realStart) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-cp", System.getProperty("java.class.path"), ClusterWorker.class.getName(), repo.toString(), data.toString(),
                name, SIM_START.toString(), Long.toString(realStart), Long.toString(SCALE));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(temp.resolve(name + ".out").toFile()).start();
        processes.add(p);
        return p;
    }

    private List<String> output(String name) throws IOException {
        Path f = temp.resolve(name + ".out");
        return Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : List.of();
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
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
        long realStart = System.currentTimeMillis() + 3000;
        worker("replica-a", repo, data, realStart);
        worker("replica-b", repo, data, realStart);
        await("both replicas to start", Duration.ofSeconds(30), () -> {
            try {
                return output("replica-a").stream().anyMatch(l -> l.startsWith("READY"))
                        && output("replica-b").stream().anyMatch(l -> l.startsWith("READY"));
            } catch (IOException e) {
                return false;
            }
        });
        LocalDirectorySink sink = new LocalDirectorySink(repo);
        RunClaims claims = new RunClaims(sink, "every10", java.time.Clock.systemUTC(), Duration.ofMinutes(2), "observer", "observer");
        Instant s10 = Instant.parse("2026-11-24T00:10:00Z");
        Instant s20 = s10.plus(Duration.ofMinutes(10));
        Instant s30 = s20.plus(Duration.ofMinutes(10));
        Instant s40 = s30.plus(Duration.ofMinutes(10));
        await("the 00:10 and 00:20 runs", Duration.ofSeconds(40), () -> done(claims, s20).isPresent());

        // The 00:30 run: find who holds it, and kill that process mid-run.
        String slotDir = RunClaims.PREFIX + "every10/" + RunClaims.slotName(s30) + "/";
        await("a claim on the 00:30 run", Duration.ofSeconds(20), () -> leases(sink, slotDir).size() > 0);
        Thread.sleep(700); // let the holder renew its lease at least once
        Map<String, String> lease = highestLease(sink, slotDir);
        long victim = Long.parseLong(lease.get("pid"));
        Process killed = processes.stream().filter(p -> p.pid() == victim).findFirst().orElseThrow();
        killed.destroyForcibly(); // SIGKILL: no shutdown hook, no release
        killed.waitFor();
        Map<String, String> last = highestLease(sink, slotDir);
        Instant expired = Instant.parse(last.get("expires"));
        String victimName = last.get("host");
        String survivorName = victimName.equals("replica-a") ? "replica-b" : "replica-a";

        await("the takeover of the 00:30 run", Duration.ofSeconds(30), () -> done(claims, s30).isPresent());
        await("the 00:40 run", Duration.ofSeconds(30), () -> done(claims, s40).isPresent());

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
