package com.mintreplica.backup.jobs;

/**
 * The application's own check of a restored snapshot in a drill: does the restored data make sense to the app (the
 * ledger balances, the admin user exists, the newest order is recent)? Given to
 * {@link DrillRunner.Builder#smokeCheck}; called after the restore and the target's own checks passed, before the
 * scratch target is removed.
 *
 * <pre>{@code
 * DrillRunner.builder(config)
 *     .smokeCheck("postgres-daily", scratch -> {
 *         try (Connection c = scratch.connect();
 *              ResultSet rs = c.createStatement().executeQuery("select sum(amount) from ledger")) {
 *             rs.next();
 *             if (rs.getBigDecimal(1).signum() != 0) {
 *                 throw new IllegalStateException("the ledger does not balance: " + rs.getBigDecimal(1));
 *             }
 *         }
 *     })
 *     .build();
 * }</pre>
 */
@FunctionalInterface
public interface SmokeCheck {

    /**
     * Checks the restored data; returns when it is right, throws with a message saying what is wrong otherwise (the
     * message becomes the drill's reason).
     */
    void check(DrillScratch scratch) throws Exception;
}
