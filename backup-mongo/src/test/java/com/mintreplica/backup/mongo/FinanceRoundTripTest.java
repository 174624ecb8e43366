package com.mintreplica.backup.mongo;

/** The finance round trip on 5k documents, quick enough for every build. */
class FinanceRoundTripTest extends FinanceRoundTripScenario {
    FinanceRoundTripTest() {
        super(5_000);
    }
}
