package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * wal-push, wal-fetch and wal list in-process, on synthetic segments (a 16 MiB file with the long page header
 * PostgreSQL 15 writes: magic D110, timeline, page address, system identifier, segment size; real segments are in
 * WalArchiveIT and WalArchiveCommandIT): exit codes, --config/--job, the spool's acknowledgement.
 */
class WalCommandsTest {
    @TempDir
    Path temp;

    static final long SYSID = 7_312_345_678_901_234_567L;

    /** pg_wal/NAME: a segment of timeline 1, log 0, number {@code seg}, filled with {@code fill}. */
    static Path segment(Path pgWal, int seg, byte fill) throws Exception {
        byte[] b = new byte[16 * 1024 * 1024];
        java.util.Arrays.fill(b, fill);
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        h.putShort(0, (short) 0xD110).putShort(2, (short) 0x0002).putInt(4, 1).putLong(8, seg * 16L * 1024 * 1024)
                .putInt(16, 0).putInt(20, 0).putLong(24, SYSID).putInt(32, 16 * 1024 * 1024).putInt(36, 8192);
        Files.createDirectories(pgWal.resolve("archive_status"));
        Path file = pgWal.resolve(String.format("%08X%08X%08X", 1, 0, seg));
        Files.write(file, b);
        return file;
    }

    @Test
    void push_fetch_list_and_their_exit_codes() throws Exception {
        Path repo = temp.resolve("repo");
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
        Path pgWal = temp.resolve("data/pg_wal");
        Path s1 = segment(pgWal, 1, (byte) 1);
        String[] where = {"--repo", repo.toString(), "--cluster", "db1", "--no-cache"};

        Cli.Result push = Cli.run(concat(new String[] {"wal-push"}, where, s1.toString()));
        assertThat(push.code()).as(push.toString()).isZero();
        assertThat(Cli.run(concat(new String[] {"wal-push"}, where, s1.toString())).code()).isZero(); // again: fine

        Path other = segment(temp.resolve("other/pg_wal"), 1, (byte) 2);
        Cli.Result conflict = Cli.run(concat(new String[] {"wal-push"}, where, other.toString()));
        assertThat(conflict.code()).isEqualTo(1);
        assertThat(conflict.err()).contains("archived already with other content").doesNotContain("Exception");

        Path notWal = Files.writeString(pgWal.resolve("000000010000000000000009"), "short");
        Cli.Result bad = Cli.run(concat(new String[] {"wal-push"}, where, notWal.toString()));
        assertThat(bad.code()).as(bad.toString()).isEqualTo(2);
        assertThat(bad.err()).contains("is not a WAL segment");
        assertThat(Cli.run("wal-push", "--repo", repo.toString(), s1.toString()).err()).contains("--cluster");

        Path dest = temp.resolve("RECOVERYXLOG");
        assertThat(Cli.run(concat(new String[] {"wal-fetch"}, where, s1.getFileName().toString(), dest.toString())).code()).isZero();
        assertThat(Files.mismatch(dest, s1)).isEqualTo(-1);
        assertThat(Cli.run(concat(new String[] {"wal-fetch"}, where, "000000010000000000000002", dest.toString())).code()).isEqualTo(1);
        assertThat(Cli.run(concat(new String[] {"wal-fetch"}, where, "pg_control", dest.toString())).code()).isEqualTo(2);

        Cli.Result list = Cli.run(concat(new String[] {"wal", "list", "--files"}, where));
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out()).contains("0/1000000").contains("000000010000000000000001");
    }

    @Test
    void a_batch_acknowledges_the_other_ready_segments_and_the_next_push_uses_the_acknowledgement() throws Exception {
        Path repo = temp.resolve("repo");
        Path config = temp.resolve("jobs.yaml");
        Files.writeString(config, """
                repositories:
                  primary:
                    location: %s
                    create: false
                jobs:
                  ledger:
                    source:
                      paths: [%s]
                    repository: primary
                    schedule: "0 * * * *"
                """.formatted(repo, temp));
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();
        Path pgWal = temp.resolve("data/pg_wal");
        Path spool = temp.resolve("spool");
        for (int i = 1; i <= 4; i++) {
            segment(pgWal, i, (byte) i);
            Files.createFile(pgWal.resolve("archive_status/" + String.format("%08X%08X%08X", 1, 0, i) + ".ready"));
        }
        String[] where = {"--config", config.toString(), "--job", "ledger", "--spool", spool.toString()};
        Path first = pgWal.resolve("000000010000000000000001");
        Cli.Result push = Cli.run(concat(new String[] {"wal-push", "-v"}, where, first.toString()));
        assertThat(push.code()).as(push.toString()).isZero();
        try (Stream<Path> acks = Files.list(spool.resolve("archive"))) {
            assertThat(acks.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("000000010000000000000002.ok", "000000010000000000000003.ok", "000000010000000000000004.ok");
        }
        // the job's name names the cluster
        Cli.Result list = Cli.run("wal", "list", "--files", "--repo", repo.toString(), "--cluster", "ledger", "--no-cache");
        assertThat(list.out()).contains("000000010000000000000004");
        // the next archive_command for segment 2 is answered from its acknowledgement, which is then gone
        Files.delete(repo.resolve("config")); // any push that reaches the repository fails now
        Path second = pgWal.resolve("000000010000000000000002");
        assertThat(Cli.run(concat(new String[] {"wal-push"}, where, second.toString())).code()).isZero();
        assertThat(spool.resolve("archive/000000010000000000000002.ok")).doesNotExist();
        assertThat(Cli.run(concat(new String[] {"wal-push"}, where, second.toString())).code()).isNotZero();
    }

    private static String[] concat(String[] a, String[] b, String... c) {
        return Stream.of(a, b, c).flatMap(Stream::of).toArray(String[]::new);
    }
}
