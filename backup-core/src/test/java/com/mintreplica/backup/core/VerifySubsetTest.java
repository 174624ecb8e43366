package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify --read-data-subset} (restic's {@code check --read-data-subset}): parts 1 to t read every pack once
 * between them, the part holding a damaged pack finds it, the others do not read it.
 */
class VerifySubsetTest {
    @TempDir
    Path temp;

    @Test
    void parts_read_every_pack_once_between_them_and_the_one_with_damage_finds_it() throws IOException {
        Path dir = temp.resolve("repo");
        try (Repository repo = Repository.init(new LocalDirectorySink(dir), PruneFixture.smallSettings())) {
            for (int i = 1; i <= 4; i++) {
                PruneFixture.backup(repo, i);
            }
            VerifyReport all = repo.verify(DataSubset.all());
            assertThat(all.problems()).isEmpty();
            assertThat(all.objectsRead()).isGreaterThan(8);
            long read = 0;
            long bytes = 0;
            for (int n = 1; n <= 3; n++) {
                VerifyReport part = repo.verify(DataSubset.parse(n + "/3"));
                assertThat(part.problems()).isEmpty();
                assertThat(part.objectsRead()).as("part " + n).isPositive().isLessThan(all.objectsRead());
                read += part.objectsRead();
                bytes += part.bytesRead();
            }
            assertThat(read).isEqualTo(all.objectsRead());
            assertThat(bytes).isEqualTo(all.bytesRead());
            assertThat(repo.verify(DataSubset.none()).objectsRead()).isZero();

            // a byte flipped inside one data pack: only a read finds it, and only the part that reads that pack
            Path pack;
            try (Stream<Path> s = Files.walk(dir.resolve("data"))) {
                pack = s.filter(Files::isRegularFile).sorted().findFirst().orElseThrow();
            }
            try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
                f.seek(40);
                int b = f.read();
                f.seek(40);
                f.write(b ^ 0xff);
            }
            int found = 0;
            for (int n = 1; n <= 3; n++) {
                List<VerifyReport.Problem> problems = repo.verify(DataSubset.parse(n + "/3")).problems();
                if (!problems.isEmpty()) {
                    found++;
                    assertThat(problems.get(0).object()).endsWith(pack.getFileName().toString());
                }
            }
            assertThat(found).as("exactly one part reads the damaged pack").isEqualTo(1);
            assertThat(repo.verify(DataSubset.none()).problems()).as("without reading, the damage is not seen").isEmpty();
            assertThat(repo.verify(DataSubset.percent(100)).problems()).isNotEmpty();
        }
    }

    @Test
    void a_subset_that_makes_no_sense_is_named() {
        for (String bad : List.of("0/3", "4/3", "3", "x/y", "0%", "101%", "abc%")) {
            assertThatThrownBy(() -> DataSubset.parse(bad)).as(bad).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining(bad.startsWith("0/") || bad.startsWith("4/") ? "1 <= n <= t" : "");
        }
        assertThat(DataSubset.parse("1/1").readsAll()).isTrue();
        assertThat(DataSubset.parse("2.5%").readsData()).isTrue();
        // a percentage is digits and a point, and is echoed as given (1e2% passed as 100%, 0% was "got 0.0")
        assertThatThrownBy(() -> DataSubset.parse("1e2%")).hasMessageContaining("is not a data subset");
        assertThatThrownBy(() -> DataSubset.parse("0%")).hasMessageContaining("(got 0%)");
        assertThatThrownBy(() -> DataSubset.parse("-5%")).hasMessageContaining("is not a data subset");
    }
}
