package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.jobs.internal.RunClaims;
import com.mintreplica.backup.storage.s3.S3Sink;
import com.mintreplica.backup.testkit.FakeClock;
import com.mintreplica.backup.testkit.FaultInjectingSink;
import com.mintreplica.backup.testkit.InMemorySink;
import com.mintreplica.backup.testkit.s3.S3TestServer;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The claim protocol on the Sinks replicas share: an in-memory one, a local directory (hard links), and a real
 * S3-protocol server (s3proxy, If-None-Match creates).
 */
class RunClaimsTest {
    static final Instant SLOT = Instant.parse("2026-11-24T01:00:00Z");
    static final Duration LEASE = Duration.ofMinutes(2);
    static S3TestServer s3;

    @BeforeAll
    static void startS3() {
        s3 = S3TestServer.start();
    }

    @AfterAll
    static void stopS3() {
        s3.close();
    }

    private static Sink sink(String kind) throws Exception {
        return switch (kind) {
            case "memory" -> new InMemorySink();
            case "directory" -> new LocalDirectorySink(Files.createTempDirectory("claims-"), false);
            case "s3" -> {
                yield S3Sink.builder().bucket(s3.newBucket()).prefix("repo").endpoint(s3.endpoint()).pathStyle(true)
                        .region(S3TestServer.REGION).credentials(s3.credentials()).build();
            }
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static RunClaims claims(Sink sink, FakeClock clock, String holder) {
        return new RunClaims(sink, "etc", clock, LEASE, holder, "host-" + holder);
    }

    private static JobResult ok(String host) {
        return new JobResult("etc", SLOT, host, SLOT, SLOT.plusSeconds(30), JobResult.Outcome.SUCCEEDED,
                Optional.of("snap"), 10, Optional.empty(), List.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "directory", "s3"})
    void of_many_replicas_claiming_one_slot_at_once_exactly_one_wins(String kind) throws Exception {
        try (Sink sink = sink(kind)) {
            FakeClock clock = new FakeClock(SLOT);
            int replicas = 8;
            ExecutorService pool = Executors.newFixedThreadPool(replicas);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<RunClaims.Attempt>> attempts = new ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                RunClaims c = claims(sink, clock, "r" + i);
                Callable<RunClaims.Attempt> task = () -> {
                    go.await();
                    return c.tryClaim(SLOT);
                };
                attempts.add(pool.submit(task));
            }
            go.countDown();
            int claimed = 0;
            for (Future<RunClaims.Attempt> a : attempts) {
                RunClaims.Attempt attempt = a.get();
                if (attempt instanceof RunClaims.Claimed) {
                    claimed++;
                } else {
                    assertThat(attempt).isInstanceOf(RunClaims.Held.class);
                }
            }
            pool.shutdown();
            assertThat(claimed).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "directory", "s3"})
    void a_renewed_claim_holds_an_expired_one_is_taken_over_and_its_holder_learns_it_lost(String kind) throws Exception {
        try (Sink sink = sink(kind)) {
            FakeClock clock = new FakeClock(SLOT);
            RunClaims a = claims(sink, clock, "a");
            RunClaims b = claims(sink, clock, "b");
            RunClaims.Claim held = ((RunClaims.Claimed) a.tryClaim(SLOT)).claim();

            clock.advance(Duration.ofSeconds(50));
            assertThat(held.renewalDue()).isTrue();
            assertThat(held.renew()).isTrue();
            clock.advance(Duration.ofSeconds(100)); // 150 s after the claim, 100 s after the renewal
            assertThat(b.tryClaim(SLOT)).isInstanceOfSatisfying(RunClaims.Held.class, h -> {
                assertThat(h.host()).isEqualTo("host-a");
                assertThat(h.expires()).isEqualTo(SLOT.plusSeconds(50).plus(LEASE));
            });

            clock.advance(Duration.ofSeconds(21)); // a stopped renewing: its lease expired
            RunClaims.Attempt takeover = b.tryClaim(SLOT);
            assertThat(takeover).isInstanceOf(RunClaims.Claimed.class);
            assertThat(held.renew()).as("the old holder's renewal fails: it lost the slot").isFalse();
            assertThat(held.lost()).isTrue();

            ((RunClaims.Claimed) takeover).claim().complete(ok("host-b"));
            assertThat(a.tryClaim(SLOT)).isInstanceOfSatisfying(RunClaims.Done.class,
                    d -> assertThat(d.record().host()).isEqualTo("host-b"));
            try (Stream<ObjectInfo> left = sink.list(RunClaims.PREFIX)) {
                assertThat(left.map(ObjectInfo::name)).as("only the run record stays").containsExactly(
                        RunClaims.PREFIX + "etc/" + RunClaims.slotName(SLOT) + "/done");
            }
            assertThat(a.history()).singleElement().satisfies(r -> assertThat(r.snapshot()).contains("snap"));
            assertThat(a.lastSlot()).contains(SLOT);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "directory", "s3"})
    void a_released_claim_is_free_at_once(String kind) throws Exception {
        try (Sink sink = sink(kind)) {
            FakeClock clock = new FakeClock(SLOT);
            RunClaims.Claim held = ((RunClaims.Claimed) claims(sink, clock, "a").tryClaim(SLOT)).claim();
            held.release();
            assertThat(claims(sink, clock, "b").tryClaim(SLOT)).isInstanceOf(RunClaims.Claimed.class);
            assertThat(claims(sink, clock, "c").lastSlot()).as("a slot nobody finished is not counted as run").isEmpty();
        }
    }

    /**
     * A store slow to confirm a write, during which the clock moves on (as a loaded machine or a slow S3 does): the next
     * renewal is due a third of a lease after the time the lease states, so a holder always renews while two thirds of
     * its lease are left. (Counted from when the store answered, the renewal came 60 seconds late here, and ClusterIT's
     * replica let its lease run down to 40 seconds.)
     */
    @Test
    void renewals_are_timed_from_the_lease_written_not_from_when_a_slow_store_confirmed_it() throws Exception {
        FakeClock clock = new FakeClock(SLOT);
        FaultInjectingSink slow = new FaultInjectingSink(new InMemorySink());
        RunClaims claims = claims(slow, clock, "a");
        slow.afterWrite(name -> clock.advance(Duration.ofSeconds(30)));
        RunClaims.Claim held = ((RunClaims.Claimed) claims.tryClaim(SLOT)).claim(); // the store answers at +30 s
        slow.afterWrite(name -> { });
        clock.set(SLOT.plus(LEASE.dividedBy(3)));
        assertThat(held.renewalDue()).as("a third of the first lease has passed").isTrue();

        slow.afterWrite(name -> clock.advance(Duration.ofSeconds(30)));
        assertThat(held.renew()).isTrue(); // written at +40 s, confirmed at +70 s
        slow.afterWrite(name -> { });
        clock.set(SLOT.plus(LEASE.dividedBy(3)).plus(LEASE.dividedBy(3)));
        assertThat(held.renewalDue()).as("a third of the renewed lease has passed").isTrue();
        try (Stream<ObjectInfo> leases = slow.list(RunClaims.PREFIX)) {
            assertThat(leases.count()).isEqualTo(2);
        }
    }

    /** What an S3 Sink with Object Lock writes with a retention date: everything but locks and run records. */
    private static final ObjectKind[] RETAINED = {ObjectKind.CONFIG, ObjectKind.KEY, ObjectKind.SNAPSHOT, ObjectKind.INDEX,
            ObjectKind.DATA, ObjectKind.AUDIT};

    private static void runSlot(RunClaims claims, Instant slot) throws Exception {
        RunClaims.Claim claim = ((RunClaims.Claimed) claims.tryClaim(slot)).claim();
        claim.complete(new JobResult("etc", slot, "host-a", slot, slot.plusSeconds(30), JobResult.Outcome.SUCCEEDED,
                Optional.of("snap-" + slot.getEpochSecond()), 10, Optional.empty(), List.of()));
    }

    private static List<String> names(Sink sink, String prefix) throws Exception {
        try (Stream<ObjectInfo> listed = sink.list(prefix)) {
            return listed.map(ObjectInfo::name).sorted().toList();
        }
    }

    @Test
    void run_records_are_not_snapshots_so_their_cleanup_goes_on_while_the_snapshots_stay_locked() throws Exception {
        FakeClock clock = new FakeClock(SLOT);
        FaultInjectingSink locked = new FaultInjectingSink(new InMemorySink()).retainWrittenAs(RETAINED);
        locked.put("snapshots/s1", new java.io.ByteArrayInputStream(new byte[] {1}), 1, ObjectKind.SNAPSHOT);
        RunClaims claims = claims(locked, clock, "a");
        for (int hour = 0; hour < 5; hour++) {
            runSlot(claims, SLOT.plus(Duration.ofHours(hour)));
        }
        String newest = RunClaims.PREFIX + "etc/" + RunClaims.slotName(SLOT.plus(Duration.ofHours(4))) + "/done";
        assertThat(locked.kindOf(newest)).contains(ObjectKind.RECORD);

        assertThat(claims.prune(2)).as("nothing left behind").isZero();

        assertThat(names(locked, RunClaims.PREFIX)).containsExactly(
                RunClaims.PREFIX + "etc/" + RunClaims.slotName(SLOT.plus(Duration.ofHours(3))) + "/done", newest);
        assertThat(claims.lastSlot()).contains(SLOT.plus(Duration.ofHours(4)));
        assertThatThrownBy(() -> locked.delete("snapshots/s1")).as("the snapshot is still locked")
                .isInstanceOf(ObjectLockedException.class);
    }

    @Test
    void records_written_as_snapshots_by_earlier_versions_are_still_read_and_cleanup_steps_over_those_still_locked()
            throws Exception {
        FakeClock clock = new FakeClock(SLOT);
        // An earlier version wrote the record of the first slot with the snapshots' kind: it is under retention.
        InMemorySink scratch = new InMemorySink();
        runSlot(claims(scratch, clock, "old"), SLOT);
        String oldRecord = RunClaims.PREFIX + "etc/" + RunClaims.slotName(SLOT) + "/done";
        byte[] oldBytes;
        try (java.io.InputStream in = scratch.get(oldRecord)) {
            oldBytes = in.readAllBytes();
        }
        FaultInjectingSink locked = new FaultInjectingSink(new InMemorySink()).retainWrittenAs(RETAINED);
        locked.put(oldRecord, new java.io.ByteArrayInputStream(oldBytes), oldBytes.length, ObjectKind.SNAPSHOT);
        RunClaims claims = claims(locked, clock, "a");
        assertThat(claims.tryClaim(SLOT)).as("the old record still says the slot ran").isInstanceOf(RunClaims.Done.class);
        for (int hour = 1; hour < 4; hour++) {
            runSlot(claims, SLOT.plus(Duration.ofHours(hour)));
        }
        assertThat(claims.history()).extracting(JobResult::slot).containsExactly(SLOT, SLOT.plus(Duration.ofHours(1)),
                SLOT.plus(Duration.ofHours(2)), SLOT.plus(Duration.ofHours(3)));

        assertThat(claims.prune(1)).as("the locked old record is left for a later prune").isEqualTo(1);

        assertThat(names(locked, RunClaims.PREFIX)).containsExactly(oldRecord,
                RunClaims.PREFIX + "etc/" + RunClaims.slotName(SLOT.plus(Duration.ofHours(3))) + "/done");
    }

    /**
     * The scheduler renews on its own timer, beside the run's thread: a renewal that was under way when the run ended
     * waits for the end to be recorded and then writes nothing, so no lease is left beside the record.
     */
    @Test
    void a_renewal_that_comes_after_the_run_ended_writes_no_lease() throws Exception {
        FakeClock clock = new FakeClock(SLOT);
        InMemorySink sink = new InMemorySink();
        RunClaims.Claim held = ((RunClaims.Claimed) claims(sink, clock, "a").tryClaim(SLOT)).claim();
        clock.advance(LEASE.dividedBy(2));
        assertThat(held.renewalDue()).isTrue();
        held.complete(ok("host-a"));

        assertThat(held.renewalDue()).isFalse();
        assertThat(held.renew()).as("not lost: there is nothing left to renew").isTrue();
        assertThat(names(sink, RunClaims.PREFIX)).containsExactly(
                RunClaims.PREFIX + "etc/" + RunClaims.slotName(SLOT) + "/done");
    }
}
