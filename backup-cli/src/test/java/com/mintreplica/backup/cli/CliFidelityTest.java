package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.fs.HostileTree;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The CLI on the hostile tree: clear refusals of special source paths, warnings for changing files, escaped names. */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CliFidelityTest {
    @TempDir
    Path temp;

    @Test
    void a_fifo_socket_or_device_as_the_only_source_path_exits_2_and_says_what_it_is() throws Exception {
        HostileTree tree = HostileTree.create(temp.resolve("tree"), 1 << 20);
        String repo = temp.resolve("repo").toString();
        assertThat(Cli.run("init", "--repo", repo).code()).isZero();
        Cli.Result fifo = Cli.run("backup", "--repo", repo, tree.root().resolve("special/fifo").toString());
        assertThat(fifo.code()).as(fifo.toString()).isEqualTo(2);
        assertThat(fifo.err()).contains("it is a FIFO (named pipe); only files and directories can be source paths");
        Cli.Result socket = Cli.run("backup", "--repo", repo, tree.root().resolve("special/socket").toString());
        assertThat(socket.code()).isEqualTo(2);
        assertThat(socket.err()).contains("it is a socket");
        if (tree.parts().contains(HostileTree.Part.DEVICES)) {
            Cli.Result device = Cli.run("backup", "--repo", repo, tree.root().resolve("special/loop").toString());
            assertThat(device.code()).isEqualTo(2);
            assertThat(device.err()).contains("it is a block device");
        }
        assertThat(Cli.run("list", "--repo", repo).out()).contains("no snapshots");
    }

    @Test
    void a_symlink_loop_as_the_source_path_is_too_many_levels_of_symbolic_links() throws Exception {
        Path loop = temp.resolve("loop");
        Files.createSymbolicLink(loop, Path.of("loop"));
        String repo = temp.resolve("repo").toString();
        Cli.run("init", "--repo", repo);
        Cli.Result r = Cli.run("backup", "--repo", repo, loop.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("too many levels of symbolic links").doesNotContain("permission denied");
    }

    @Test
    void a_file_appended_to_during_the_backup_is_a_warning_in_the_output_and_the_snapshot() throws Exception {
        Path log = temp.resolve("data/app.log");
        Files.createDirectories(log.getParent());
        byte[] block = new byte[1 << 20];
        new Random(3).nextBytes(block);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 48; i++) {
                ch.write(ByteBuffer.wrap(block));
            }
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong appended = new AtomicLong();
        Thread writer = new Thread(() -> {
            byte[] line = "a log line appended during the backup\n".getBytes(StandardCharsets.US_ASCII);
            try (FileChannel ch = FileChannel.open(log, StandardOpenOption.APPEND)) {
                while (!stop.get() && appended.get() < (256L << 20)) {
                    appended.addAndGet(ch.write(ByteBuffer.wrap(line)));
                    Thread.sleep(0, 200_000);
                }
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        String repo = temp.resolve("repo").toString();
        Cli.run("init", "--repo", repo);
        writer.start();
        try {
            while (appended.get() == 0) {
                Thread.onSpinWait();
            }
            Cli.Result r = Cli.run("backup", "--repo", repo, log.getParent().toString());
            stop.set(true);
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.err()).contains("warning: ").contains("data/app.log: changed while it was read");
            assertThat(Cli.run("list", "--repo", repo, "--json").out()).contains("changed while it was read");
        } finally {
            stop.set(true);
            writer.join();
        }
    }

    @Test
    void ls_shows_bytes_that_are_not_utf8_escaped_and_json_keeps_them() throws Exception {
        HostileTree tree = HostileTree.create(temp.resolve("tree"), 1 << 20);
        String repo = temp.resolve("repo").toString();
        Cli.run("init", "--repo", repo);
        Cli.Result backup = Cli.run("backup", "--repo", repo, tree.root().resolve("names").toString());
        assertThat(backup.code()).as(backup.toString()).isZero();
        Cli.Result ls = Cli.run("ls", "--repo", repo, "latest");
        assertThat(ls.out()).contains("names/bad-\\xff\\xfe.bin").contains("names/bad-\ufffd\ufffd.bin")
                .contains("names/new\\nline and  two spaces.txt").contains("names/ünïcødé/café €.txt");
        Cli.Result json = Cli.run("ls", "--repo", repo, "latest", "--json");
        assertThat(json.out()).contains("bad-\\udcff\\udcfe.bin");
    }

    @Test
    void an_entry_whose_name_is_not_utf8_is_named_as_ls_shows_it_to_cat_and_restore_include() throws Exception {
        // The command line cannot carry bytes that are not UTF-8 (the JVM decodes them to U+FFFD), and neither the
        // form `ls` prints nor anything else reached such an entry: only a restore of its whole directory did.
        HostileTree tree = HostileTree.create(temp.resolve("tree"), 1 << 20);
        Path names = tree.root().resolve("names");
        String repo = temp.resolve("repo").toString();
        Cli.run("init", "--repo", repo);
        assertThat(Cli.run("backup", "--repo", repo, names.toString()).code()).isZero();
        String shown = names.toString().substring(1) + "/bad-\\xff\\xfe.bin";   // as ls prints it

        Cli.Result cat = Cli.run("cat", "--repo", repo, "latest", shown);
        assertThat(cat.code()).as(cat.toString()).isZero();
        assertThat(cat.out()).isEqualTo("not UTF-8\n");   // HostileTree's content of bad-\xff\xfe.bin
        Path target = temp.resolve("restore");
        Cli.Result restore = Cli.run("restore", "--repo", repo, "latest", "--target", target.toString(), "--include", shown);
        assertThat(restore.code()).as(restore.toString()).isZero();
        Cli.Result ls = Cli.run("ls", "--repo", repo, "latest");
        assertThat(ls.out()).contains("bad-\\xff\\xfe.bin");
        try (java.util.stream.Stream<Path> restored = Files.list(target.resolve(names.toString().substring(1)))) {
            assertThat(restored.count()).as("only the one entry").isEqualTo(1);
        }
    }

    @Test
    void a_backup_that_left_entries_out_exits_3_and_its_snapshot_says_how_many() throws Exception {
        // It exited 0 when files could not be read, so a cron job never noticed an incomplete snapshot (restic: 3).
        // A real read error: this JVM's /proc/self/mem at offset 0 gives EIO.
        Path mem = Path.of("/proc/self/mem");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(mem), "no /proc/self/mem here");
        Path tree = Files.createDirectories(temp.resolve("tree"));
        Files.writeString(tree.resolve("a.txt"), "a\n");
        String repo = temp.resolve("repo").toString();
        Cli.run("init", "--repo", repo);

        Cli.Result backup = Cli.run("backup", "--repo", repo, tree.toString(), mem.toString());

        assertThat(backup.code()).as(backup.toString()).isEqualTo(3);
        assertThat(backup.err()).contains("proc/self/mem: could not be read").contains("saved without 1 entry");
        assertThat(backup.out()).contains("saved");
        assertThat(Cli.run("list", "--repo", repo, "--json").out()).contains("\"backup.leftOut\" : \"1\"");
        assertThat(Cli.run("backup", "--repo", repo, tree.toString()).code()).as("complete again").isZero();
    }
}
