package com.mintreplica.backup.core;

import static com.mintreplica.backup.core.PruneFixture.backup;
import static com.mintreplica.backup.core.PruneFixture.smallSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.internal.Envelope;
import com.mintreplica.backup.core.internal.RepositoryLock;
import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lease protocol that keeps prune and backups apart, over a real directory. */
class RepositoryLockTest {
    @TempDir
    Path dir;
    LocalDirectorySink sink;
    Repository repo;

    @BeforeEach
    void repository() {
        sink = new LocalDirectorySink(dir.resolve("repo"), false);
        repo = Repository.init(sink, smallSettings());
        for (int i = 1; i <= 3; i++) {
            backup(repo, i);
        }
    }

    RepositoryLock lock(RepositoryLock.Kind kind, String operation) {
        return RepositoryLock.acquire(repo.store(), kind, operation, Duration.ZERO, RepositoryLock.Settings.DEFAULT);
    }

    @Test
    void prune_refuses_to_run_beside_a_running_backup_and_names_it() throws IOException {
        try (RepositoryLock backupLock = lock(RepositoryLock.Kind.SHARED, "back up map:test")) {
            assertThatThrownBy(() -> repo.prune().policy(Retention.builder().keepLast(1).build()).run())
                    .isInstanceOf(ConflictException.class)
                    .hasMessageContaining("back up map:test")
                    .hasMessageContaining(RepositoryLock.Identity.current().host())
                    .hasMessageContaining("Run it again");
            assertThat(repo.snapshots()).hasSize(3);
            assertThat(locks()).as("prune took its lock back").isEqualTo(1);
        }
        assertThat(locks()).isZero();
    }

    @Test
    void prune_waits_for_a_backup_to_finish_when_asked_to() {
        RepositoryLock backupLock = lock(RepositoryLock.Kind.SHARED, "back up map:test");
        CompletableFuture<Void> release = CompletableFuture.runAsync(backupLock::close,
                CompletableFuture.delayedExecutor(700, TimeUnit.MILLISECONDS));

        PruneReport report = repo.prune().policy(Retention.builder().keepLast(1).build())
                .lockWait(Duration.ofSeconds(30)).run();

        assertThat(release).isDone();
        assertThat(report.removed()).hasSize(2);
    }

    @Test
    void backups_share_the_repository_with_each_other() {
        try (RepositoryLock other = lock(RepositoryLock.Kind.SHARED, "back up something else")) {
            Snapshot s = backup(repo, 4);
            assertThat(repo.snapshots()).extracting(Snapshot::id).contains(s.id());
        }
    }

    @Test
    void a_backup_does_not_start_while_a_prune_holds_the_repository() {
        try (RepositoryLock pruneLock = lock(RepositoryLock.Kind.EXCLUSIVE, "prune")) {
            assertThatThrownBy(() -> Backup.pipeline().source(new PruneFixture.MapSource(new SourceId("map", "test"),
                    PruneFixture.files(9))).to(repo).lockWait(Duration.ZERO).build().run())
                    .isInstanceOf(ConflictException.class)
                    .hasMessageContaining("locked by prune");
        }
        assertThat(repo.snapshots()).hasSize(3);
        assertThat(repo.verify(false).unreferencedPacks()).as("nothing was stored").isZero();
    }

    @Test
    void two_prunes_never_run_at_once() {
        try (RepositoryLock first = lock(RepositoryLock.Kind.EXCLUSIVE, "prune")) {
            assertThatThrownBy(() -> repo.prune().run()).isInstanceOf(ConflictException.class)
                    .hasMessageContaining("locked by prune");
        }
    }

    @Test
    void the_lock_of_a_process_that_is_gone_is_ignored_and_removed_by_prune() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        writeForeignLock("locks/ghost", gone.pid(), Instant.now());

        PruneReport report = repo.prune().run();

        assertThat(report.staleLocksRemoved()).isEqualTo(1);
        assertThat(locks()).isZero();
    }

    /**
     * The explorers' D-8: the host name and the first pid namespace (the same id on every Linux machine) did not tell
     * machines apart, so a machine that shared another's host name ("localhost", a cloned image's) removed that
     * machine's live lock as its own dead process's, and pruned beside its backup. A lock of another boot (another
     * machine, or this one before a restart) or of none (written before boot ids were) goes stale by age only.
     */
    @Test
    void a_lock_of_another_machine_with_this_host_name_is_not_taken_for_a_dead_local_one() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        writeForeignLock("locks/other-machine", gone.pid(), Instant.now(), "0a1b2c3d-another-boot");
        writeForeignLock("locks/older-version", gone.pid(), Instant.now(), null);
        assertThatThrownBy(() -> repo.prune().run()).isInstanceOf(ConflictException.class)
                .hasMessageContaining("back up elsewhere");
        assertThat(locks()).isEqualTo(2);
        assertThat(RepositoryLock.Identity.current().boot()).as("this machine's boot id").isNotEmpty();

        PruneReport later = repo.prune().clock(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(31))).run();
        assertThat(later.staleLocksRemoved()).isEqualTo(2);
    }

    /**
     * The explorers' F10: each killed backup or copy left its lock, which later backups ignored but kept, so locks/
     * filled until a prune (on S3 every lock check lists them all). Whoever finds such a lock now removes it.
     */
    @Test
    void a_backup_removes_the_locks_of_killed_runs_on_this_host_and_leaves_a_live_ones() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        writeForeignLock("locks/ghost-1", gone.pid(), Instant.now());
        writeForeignLock("locks/ghost-2", gone.pid(), Instant.now());
        Process alive = new ProcessBuilder("sleep", "60").start();
        try {
            writeForeignLock("locks/alive", alive.pid(), Instant.now());
            backup(repo, 4);
            assertThat(locks()).as("the live process's lock stays").isEqualTo(1);
        } finally {
            alive.destroy();
        }
    }

    @Test
    void the_lock_of_a_live_process_holds_until_it_is_not_refreshed_for_thirty_minutes() throws Exception {
        Process alive = new ProcessBuilder("sleep", "60").start();
        try {
            writeForeignLock("locks/alive", alive.pid(), Instant.now());
            assertThatThrownBy(() -> repo.prune().run()).isInstanceOf(ConflictException.class)
                    .hasMessageContaining("back up elsewhere");

            // Half an hour later (by this process's clock) without a refresh, the lock is stale.
            Clock later = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(31));
            PruneReport report = repo.prune().clock(later).run();
            assertThat(report.staleLocksRemoved()).isEqualTo(1);
        } finally {
            alive.destroyForcibly();
        }
    }

    /**
     * The lease's time is a clock the test moves, one second at a time and only once the refresher has written the
     * time before: a slow or busy machine delays the refreshes, never makes the lease look older than it is (with the
     * wall clock, a refresher thread starved for 1.5 s lost the lease and failed this test).
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void a_lock_is_refreshed_while_held_so_it_never_looks_stale() throws Exception {
        SteppedClock clock = new SteppedClock(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        RepositoryLock.Settings fast = new RepositoryLock.Settings(Duration.ofSeconds(3), Duration.ofMillis(50),
                Duration.ofMillis(50), clock);
        try (RepositoryLock held = RepositoryLock.acquire(repo.store(), RepositoryLock.Kind.SHARED, "back up slowly",
                Duration.ZERO, fast)) {
            Instant created = clock.instant();
            for (int second = 1; second <= 4; second++) {
                clock.advance(Duration.ofSeconds(1)); // within the lease's half-life (1.5 s) of the last refresh
                while (!refreshed(held).equals(clock.instant())) {
                    Thread.sleep(10); // until the refresher has written the new time; @Timeout ends a refresher that never does
                }
            }
            assertThat(Duration.between(created, clock.instant())).as("longer than the stale period").isGreaterThan(
                    fast.staleAfter());
            held.check();
            assertThatThrownBy(() -> RepositoryLock.acquire(repo.store(), RepositoryLock.Kind.EXCLUSIVE, "prune",
                    Duration.ZERO, fast)).isInstanceOf(ConflictException.class);
        }
    }

    private Instant refreshed(RepositoryLock lock) {
        return RepositoryLock.list(repo.store()).stream().filter(i -> i.name().equals(lock.name())).findFirst()
                .orElseThrow().refreshed();
    }

    /** A clock that stands still until the test moves it. */
    private static final class SteppedClock extends Clock {
        private volatile Instant now;

        SteppedClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void a_backup_whose_lock_was_removed_by_another_process_commits_nothing() {
        Source stealing = new Source() {
            @Override
            public SourceId id() {
                return new SourceId("map", "test");
            }

            @Override
            public SourceReader open(BackupContext context) {
                return new SourceReader() {
                    boolean done;

                    @Override
                    public Optional<SourceEntry> next() throws IOException {
                        if (done) {
                            return Optional.empty();
                        }
                        done = true;
                        // another process judged this backup's lock stale and removed it, as a prune would
                        try (Stream<ObjectInfo> locks = sink.list("locks/")) {
                            for (ObjectInfo l : locks.toList()) {
                                sink.delete(l.name());
                            }
                        }
                        byte[] data = PruneFixture.random(50_000, 5);
                        return Optional.of(SourceEntry.of(Entry.regular("a").size(data.length).build(),
                                () -> new ByteArrayInputStream(data)));
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };

        assertThatThrownBy(() -> Backup.pipeline().source(stealing).to(repo).build().run())
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("was lost")
                .hasMessageContaining("removed by another process");
        assertThat(repo.snapshots()).hasSize(3);
    }

    long locks() throws IOException {
        try (Stream<ObjectInfo> all = sink.list("locks/")) {
            return all.count();
        }
    }

    /** A shared lock as another mint-backup process on this host would write it. */
    private void writeForeignLock(String name, long pid, Instant time) throws IOException {
        writeForeignLock(name, pid, time, RepositoryLock.Identity.current().boot());
    }

    /** A shared lock as a process of this host name and pid namespace, in the boot {@code boot}, would write it. */
    private void writeForeignLock(String name, long pid, Instant time, String boot) throws IOException {
        RepositoryLock.Identity self = RepositoryLock.Identity.current();
        String json = "{\"version\":1,\"exclusive\":false,\"operation\":\"back up elsewhere\",\"host\":\"" + self.host()
                + "\",\"pid\":" + pid + ",\"pidNamespace\":\"" + self.pidNamespace() + "\""
                + (boot == null ? "" : ",\"boot\":\"" + boot + "\"") + ",\"created\":\"" + time
                + "\",\"refreshed\":\"" + time + "\"}";
        byte[] sealed = Envelope.seal(repo.store().codec().encode(json.getBytes(StandardCharsets.UTF_8)));
        sink.put(name, new ByteArrayInputStream(sealed), sealed.length, ObjectKind.LOCK);
        assertThat(RepositoryLock.list(repo.store())).extracting(RepositoryLock.Info::name).contains(name);
    }
}
