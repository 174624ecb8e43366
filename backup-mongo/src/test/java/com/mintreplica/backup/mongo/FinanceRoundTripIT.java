package com.mintreplica.backup.mongo;

/** The acceptance round trip: 100k ledger documents of every finance BSON type. */
class FinanceRoundTripIT extends FinanceRoundTripScenario {
    FinanceRoundTripIT() {
        super(100_000);
    }
}
