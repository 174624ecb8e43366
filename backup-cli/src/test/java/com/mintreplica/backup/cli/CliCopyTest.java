package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mint-backup copy --from R1 --to R2 [SNAPSHOT...]}. */
class CliCopyTest {
    @TempDir
    Path temp;

    private static Cli.Result ok(String... args) {
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void copy_sends_the_snapshots_the_target_lacks_and_a_second_copy_sends_nothing() throws Exception {
        Path data = temp.resolve("data");
        Files.createDirectories(data);
        byte[] ledger = new byte[2_000_000];
        new Random(7).nextBytes(ledger);
        Files.write(data.resolve("ledger.bin"), ledger);
        String primary = temp.resolve("primary").toString();
        String offsite = temp.resolve("offsite").toString();
        ok("init", "--repo", primary);
        ok("init", "--repo", offsite, "--compression", "gzip");
        String first = ok("backup", "--repo", primary, data.toString()).out().split(" ")[1];
        Files.writeString(data.resolve("notes.txt"), "more");
        String second = ok("backup", "--repo", primary, data.toString()).out().split(" ")[1];

        Cli.Result one = ok("copy", "--from", primary, "--to", offsite, first);
        assertThat(one.out()).contains("copied snapshot " + first).doesNotContain(second);
        Cli.Result all = ok("copy", "--from", primary, "--to", offsite);
        assertThat(all.out()).contains("copied snapshot " + second).contains("1 already there");
        Cli.Result again = ok("copy", "--from", primary, "--to", offsite);
        assertThat(again.out()).contains("copied 0 snapshots").contains("0 blobs and 0 objects sent").contains("2 already there");

        assertThat(ok("list", "--repo", offsite).out()).contains(first).contains(second);
        Path target = temp.resolve("restored");
        ok("restore", "--repo", offsite, second, "--target", target.toString());
        assertThat(target.resolve(data.toString().substring(1)).resolve("ledger.bin")).hasBinaryContent(ledger);
    }

    @Test
    void copying_into_a_repository_that_does_not_exist_says_to_create_it() {
        Cli.Result r = Cli.run("copy", "--from", temp.resolve("a").toString(), "--to", temp.resolve("b").toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(MintBackup.USAGE);
        assertThat(r.err()).contains("mint-backup init");
    }
}
