package com.mintreplica.backup.postgres.internal.receive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import org.junit.jupiter.api.Test;

/** WAL positions, segment names and history files as PostgreSQL writes them (values checked against pg_walfile_name). */
class LsnTest {
    private static final long SEG = 16L * 1024 * 1024;

    @Test
    void positionsAndSegmentNames() {
        assertThat(Lsn.parse("16/B374D848")).isEqualTo(0x16B374D848L);
        assertThat(Lsn.format(0x16B374D848L)).isEqualTo("16/B374D848");
        assertThat(Lsn.segmentStart(Lsn.parse("0/3000148"), SEG)).isEqualTo(Lsn.parse("0/3000000"));
        // select pg_walfile_name('16/B374D848') on timeline 1
        assertThat(Lsn.segmentName(1, Lsn.parse("16/B374D848"), SEG)).isEqualTo("0000000100000016000000B3");
        assertThat(Lsn.segmentName(2, Lsn.parse("0/3000000"), SEG)).isEqualTo("000000020000000000000003");
        assertThat(Lsn.segmentName(1, Lsn.parse("1/0"), 1024L * 1024 * 1024)).isEqualTo("000000010000000100000000");
        assertThat(Lsn.historyName(2)).isEqualTo("00000002.history");
        assertThat(Lsn.parseSize("16MB")).isEqualTo(SEG);
        assertThat(Lsn.parseSize("1GB")).isEqualTo(1024L * 1024 * 1024);
        assertThatThrownBy(() -> Lsn.parse("nope")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("not a WAL position");
    }

    @Test
    void historyFiles() {
        String history = "1\t0/3000148\tno recovery target specified\n\n2\t0/5000060\tno recovery target specified\n";
        assertThat(Lsn.switchPoint(history, 1)).isEqualTo(Lsn.parse("0/3000148"));
        assertThat(Lsn.switchPoint(history, 2)).isEqualTo(Lsn.parse("0/5000060"));
        assertThat(Lsn.switchPoint(history, 3)).isEqualTo(-1);
        assertThat(Lsn.nextTimeline(history, 1, 3)).isEqualTo(2);
        assertThat(Lsn.nextTimeline(history, 2, 3)).isEqualTo(3);
    }
}
