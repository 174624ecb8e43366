package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.retention.Retention;
import com.mintreplica.backup.core.retention.RetentionPolicy;
import java.time.ZoneId;
import org.junit.jupiter.api.Nested;

/** The restic-style {@link Retention} policies pass the RetentionPolicy kit, in each of their forms. */
class RetentionContractTest {

    @Nested
    class Counts extends RetentionPolicyContract {
        @Override
        protected RetentionPolicy newPolicy() {
            return Retention.builder().keepLast(3).keepHourly(5).keepDaily(7).keepWeekly(4).keepMonthly(12)
                    .keepYearly(Retention.UNLIMITED).build();
        }
    }

    @Nested
    class Within extends RetentionPolicyContract {
        @Override
        protected RetentionPolicy newPolicy() {
            return Retention.builder().keepWithin("2d").keepWithinHourly("3d").keepWithinDaily("30d")
                    .keepWithinWeekly("3m").keepWithinMonthly("1y").keepWithinYearly("2y").build();
        }
    }

    @Nested
    class TagsInAnotherZone extends RetentionPolicyContract {
        @Override
        protected RetentionPolicy newPolicy() {
            return Retention.builder().keepTag("keep").keepDaily(10).zone(ZoneId.of("Asia/Tokyo")).build();
        }
    }

    @Nested
    class Composed extends RetentionPolicyContract {
        @Override
        protected RetentionPolicy newPolicy() {
            return Retention.anyOf(Retention.builder().keepWithinDaily("30d").keepWithinMonthly("1y").build(),
                    Retention.builder().keepDaily(30).keepMonthly(12).build());
        }
    }
}
