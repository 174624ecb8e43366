package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.http.FaultProxy;
import com.mintreplica.backup.testkit.http.FaultProxy.Fault;
import com.mintreplica.backup.testkit.s3.S3TestServer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WAL commands against a store that fails: an {@code s3://} repository whose endpoint is a {@link FaultProxy} in
 * front of s3proxy (both in this JVM). With half the requests failing (503s, uploads cut off, responses reset after
 * the object was stored), every wal-push that exits 0 has its segment stored intact, and wal-fetch still fetches.
 * With the store down, wal-fetch never answers "not archived" (exit 1) when PostgreSQL's recovery would end on it and
 * open a database older than the archive: it exits 255, which PostgreSQL takes as a failed command and stops. Segments
 * are synthetic (the long page header PostgreSQL 15 writes); real ones are in WalArchiveIT and CliPitrIT.
 */
@Timeout(300)
class CliWalFaultTest {
    private static final String BUCKET = "wal";
    private static final long SYSID = 7_312_345_678_901_234_567L;

    @TempDir
    Path temp;
    private S3TestServer s3;
    private FaultProxy proxy;
    private String[] where;
    private long savedPause;
    private java.time.Duration savedRetryFor;

    @BeforeEach
    void start() throws Exception {
        s3 = S3TestServer.start().exportCredentials();
        s3.createBucket(BUCKET);
        proxy = new FaultProxy(s3.endpoint());
        String repo = s3.repositoryUri(BUCKET, "db", proxy.endpoint());
        Cli.Result init = Cli.run("init", "--repo", repo);
        assertThat(init.code()).as(init.toString()).isZero();
        where = new String[] {"--repo", repo, "--cluster", "ledger", "--no-cache"};
        savedPause = WalFetchCommand.firstPauseMillis;
        WalFetchCommand.firstPauseMillis = 20; // the retries' pauses, shortened for the test
        savedRetryFor = WalOptions.commandRetryFor;
        WalOptions.commandRetryFor = java.time.Duration.ofSeconds(2); // a minute in production
    }

    @AfterEach
    void stop() throws Exception {
        WalFetchCommand.firstPauseMillis = savedPause;
        WalOptions.commandRetryFor = savedRetryFor;
        proxy.close();
        s3.close();
    }

    /** DIR/pg_wal/NAME: segment {@code seg} of timeline 1 for a cluster of {@code size}-byte segments. */
    private static Path segment(Path dataDir, int seg, int size) throws Exception {
        byte[] b = new byte[size];
        Arrays.fill(b, 16, b.length, (byte) (seg * 31 + 7));
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        h.putShort(0, (short) 0xD110).putShort(2, (short) 0x0002).putInt(4, 1).putLong(8, (long) seg * size)
                .putInt(16, 0).putInt(20, 0).putLong(24, SYSID).putInt(32, size).putInt(36, 8192);
        Path pgWal = dataDir.resolve("pg_wal");
        Files.createDirectories(pgWal.resolve("archive_status"));
        long perLog = 0x1_0000_0000L / size;
        Path file = pgWal.resolve(String.format("%08X%08X%08X", 1, seg / perLog, seg % perLog));
        Files.write(file, b);
        return file;
    }

    private Cli.Result wal(String command, String... args) {
        return wal(where, command, args);
    }

    private static Cli.Result wal(String[] where, String command, String... args) {
        List<String> all = new ArrayList<>(List.of(command.split(" ")));
        all.addAll(List.of(where));
        all.addAll(List.of(args));
        return Cli.run(all.toArray(String[]::new));
    }

    /** Every other request fails, in each way a store or a network fails. */
    private static Fault halfFail(String method, String target, int number) {
        if (number % 2 == 0) {
            return Fault.NONE;
        }
        return switch (number / 2 % 3) {
            case 0 -> Fault.SLOW_DOWN_503;
            case 1 -> method.equals("PUT") ? Fault.DROP_DURING_UPLOAD : Fault.DROP_DURING_DOWNLOAD;
            default -> Fault.RESET_IN_RESPONSE_BODY; // a PUT's object is stored, its answer lost
        };
    }

    @Test
    void with_half_the_requests_failing_every_push_that_exits_0_is_stored_and_every_fetch_gets_its_segment() throws Exception {
        Path data = temp.resolve("data");
        List<Path> segments = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            segments.add(segment(data, i, 1024 * 1024));
        }
        proxy.plan(CliWalFaultTest::halfFail);
        for (Path s : segments) {
            // as PostgreSQL's archiver does: the same archive_command again until it exits 0
            List<Integer> codes = new ArrayList<>();
            Cli.Result push;
            do {
                push = wal("wal-push", s.toString());
                codes.add(push.code());
            } while (push.code() != 0 && codes.size() < 10);
            assertThat(push.code()).as(s + " after " + codes + "\n" + push).isZero();
            assertThat(codes).as("a failed push exits 1, never 2 (bad input)").allMatch(c -> c == 0 || c == 1);
        }
        assertThat(proxy.faults()).as("the store failed requests").isGreaterThan(10);

        Path dest = data.resolve("pg_wal/RECOVERYXLOG");
        for (Path s : segments) {
            Cli.Result fetch = wal("wal-fetch", s.getFileName().toString(), dest.toString());
            assertThat(fetch.code()).as(s + "\n" + fetch).isZero();
            assertThat(Files.mismatch(dest, s)).as(s.getFileName().toString()).isEqualTo(-1L);
        }
        Cli.Result absent = wal("wal-fetch", "000000010000000000000009", dest.toString());
        assertThat(absent.code()).as("absent: the archive was read and has no such segment\n" + absent).isEqualTo(1);

        proxy.plan((m, t, n) -> Fault.NONE);
        Cli.Result verify = wal("wal verify", "--read-data");
        assertThat(verify.code()).as(verify.toString()).isZero();
        Cli.Result list = wal("wal list", "--files");
        for (Path s : segments) {
            assertThat(list.out()).contains(s.getFileName().toString());
        }
    }

    @Test
    void with_the_store_down_a_fetch_stops_an_ending_recovery_and_leaves_a_standby_to_retry() throws Exception {
        Path data = temp.resolve("data");
        Path s1 = segment(data, 1, 1024 * 1024);
        assertThat(wal("wal-push", s1.toString()).code()).isZero();
        Path dest = data.resolve("pg_wal/RECOVERYXLOG");
        String name = s1.getFileName().toString();
        proxy.plan((m, t, n) -> Fault.RESET_IN_RESPONSE_BODY); // every answer cut off: the store is unreachable

        // no recovery here (an operator at a shell): the usual "failed"
        Cli.Result plain = wal("wal-fetch", name, dest.toString());
        assertThat(plain.code()).as(plain.toString()).isEqualTo(1);
        assertThat(plain.err()).contains("trying again").doesNotContain("Exception");

        // a recovery that ends at the end of the archive (or at a target): 1 would end it here and open the database
        Files.writeString(data.resolve("recovery.signal"), "");
        Cli.Result recovery = wal("wal-fetch", name, dest.toString());
        assertThat(recovery.code()).as(recovery.toString()).isEqualTo(WalFetchCommand.STOP_RECOVERY);
        assertThat(recovery.err()).contains("PostgreSQL stops this recovery").doesNotContain("Exception");
        assertThat(dest).doesNotExist();
        // a typo in restore_command is no end of the archive either
        Cli.Result typo = Cli.run("wal-fetch", "--repo", where[1], "--clustr", "ledger", name, dest.toString());
        assertThat(typo.code()).as(typo.toString()).isEqualTo(WalFetchCommand.STOP_RECOVERY);

        // a standby asks again later, and may stream meanwhile
        Files.writeString(data.resolve("standby.signal"), "");
        assertThat(wal("wal-fetch", name, dest.toString()).code()).isEqualTo(1);

        proxy.plan((m, t, n) -> Fault.NONE);
        Files.delete(data.resolve("standby.signal"));
        assertThat(wal("wal-fetch", name, dest.toString()).code()).isZero();
        assertThat(Files.mismatch(dest, s1)).isEqualTo(-1L);
    }

    @Test
    void an_unreadable_archive_info_fails_wal_expire_instead_of_taking_16_MiB_segments_and_removing_needed_wal()
            throws Exception {
        // A cluster of 64 MiB segments (initdb --wal-segsize=64): segment 2 starts at 0/8000000. Taken as 16 MiB
        // segments, segments 1 to 3 would all end before it, and expire would remove WAL the base backup needs.
        Path data = temp.resolve("data");
        List<Path> segments = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            segments.add(segment(data, i, 64 * 1024 * 1024));
        }
        for (Path s : segments) {
            Cli.Result push = wal("wal-push", s.toString());
            assertThat(push.code()).as(push.toString()).isZero();
        }
        proxy.plan((m, t, n) -> m.equals("GET") && t.contains("archive.info") ? Fault.SLOW_DOWN_503 : Fault.NONE);
        String[] impatient = where.clone(); // an operator's retryFor in the URI: 2 s of 503s, not 15 minutes
        impatient[1] = where[1] + "&retryFor=2s";
        Cli.Result expire = wal(impatient, "wal expire", "--timeline", "1", "--before", "0/8000000");
        assertThat(expire.code()).as(expire.toString()).isNotZero();
        assertThat(expire.err()).contains("archive.info").doesNotContain("Exception");

        proxy.plan((m, t, n) -> Fault.NONE);
        Cli.Result list = wal("wal list", "--files");
        for (Path s : segments) {
            assertThat(list.out()).as(list.toString()).contains(s.getFileName().toString());
        }
        Cli.Result expireNow = wal("wal expire", "--timeline", "1", "--before", "0/8000000");
        assertThat(expireNow.code()).as(expireNow.toString()).isZero();
        try (Stream<String> names = wal("wal list", "--files").out().lines()) {
            assertThat(names.filter(l -> l.contains("0000000100000000000000")).toList())
                    .as("only segment 1 ends before 0/8000000").hasSize(2);
        }
    }
}
