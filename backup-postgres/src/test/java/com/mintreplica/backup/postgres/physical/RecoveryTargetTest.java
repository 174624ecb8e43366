package com.mintreplica.backup.postgres.physical;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.InvalidInputException;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Recovery targets become PostgreSQL's settings; bad input says what to give. Pure values: no server needed. */
class RecoveryTargetTest {

    @Test
    void eachTargetBecomesItsSettingsWithPauseAndInclusiveByDefault() {
        assertThat(RecoveryTarget.latest().settings()).isEmpty();
        assertThat(RecoveryTarget.time(Instant.parse("2026-12-05T03:14:00.250Z")).settings())
                .containsEntry("recovery_target_time", "2026-12-05 03:14:00.250+00")
                .containsEntry("recovery_target_inclusive", "true")
                .containsEntry("recovery_target_action", "pause");
        assertThat(RecoveryTarget.lsn(Lsn.parse("0/3000028")).settings()).containsEntry("recovery_target_lsn", "0/3000028");
        assertThat(RecoveryTarget.name("before-release").settings()).containsEntry("recovery_target_name", "before-release");
        assertThat(RecoveryTarget.xid("1234").inclusive(false).action(RecoveryTarget.Action.PROMOTE).timeline("2")
                .settings()).containsExactlyInAnyOrderEntriesOf(Map.of("recovery_target_xid", "1234",
                "recovery_target_inclusive", "false", "recovery_target_action", "promote",
                "recovery_target_timeline", "2"));
    }

    @Test
    void lsnsParseAndOrderAsPostgresqlWritesThem() {
        assertThat(Lsn.parse("1/A0").compareTo(Lsn.parse("0/FFFFFFFF"))).isPositive();
        assertThat(Lsn.parse("16/B374D848").toString()).isEqualTo("16/B374D848");
        assertThat(Lsn.parse("0/3000028").segmentName(1, 16L << 20)).isEqualTo("000000010000000000000003");
        assertThatThrownBy(() -> Lsn.parse("3000028")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("0/3000028");
    }

    @Test
    void badTargetsAreRefusedSayingWhatToGive() {
        assertThatThrownBy(() -> RecoveryTarget.xid("abc")).hasMessageContaining("transaction id");
        assertThatThrownBy(() -> PhysicalSourceProvider.recoveryTarget(Map.of("to-time", "yesterday")))
                .hasMessageContaining("2026-12-05T03:14:00Z");
        assertThatThrownBy(() -> PhysicalSourceProvider.recoveryTarget(Map.of("to-lsn", "0/1", "to-xid", "5")))
                .hasMessageContaining("one recovery target");
        assertThatThrownBy(() -> RecoveryTarget.Action.of("resume")).hasMessageContaining("pause, promote or shutdown");
        assertThat(PhysicalSourceProvider.time("2026-12-05 04:14:00+01:00")).isEqualTo(Instant.parse("2026-12-05T03:14:00Z"));
    }

    @Test
    void aJobsSourceIsCheckedForWhatItNeeds() {
        PhysicalSourceProvider p = new PhysicalSourceProvider(Map.of());
        URI location = URI.create("postgresql-physical://backup:secret@db:5432/postgres");
        assertThat(p.problems(location, Map.of())).anyMatch(m -> m.contains("needs options.cluster"));
        assertThat(p.problems(location, Map.of("cluster", "ledger", "bogus", "1")))
                .anyMatch(m -> m.contains("unknown postgresql-physical option 'bogus'"));
        assertThat(p.problems(location, Map.of("cluster", "ledger", "archive-wait", "soon")))
                .anyMatch(m -> m.contains("not a duration"));
        assertThat(p.problems(location, Map.of("cluster", "ledger", "pgdata", "/var/lib/postgresql/15/main"))).isEmpty();
        assertThat(p.problems(URI.create("postgresql-physical:///postgres"), Map.of("cluster", "x")).toString())
                .contains("names no server").doesNotContain("secret");
    }
}
