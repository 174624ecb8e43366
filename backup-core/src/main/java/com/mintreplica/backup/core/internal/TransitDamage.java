package com.mintreplica.backup.core.internal;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says that a read arrived damaged and was read again intact: the first few times in full, then only at each tenfold
 * count. Through a store that flips bytes in one download of ten (a bad proxy, a flaky link), a copy said it hundreds
 * of times, a line each, where the operator needs to know that it happens and how often.
 */
final class TransitDamage {
    private static final Logger LOG = LoggerFactory.getLogger(TransitDamage.class);
    /** Said in full this many times per process. */
    static final int IN_FULL = 3;
    private static final AtomicLong COUNT = new AtomicLong();

    private TransitDamage() {
    }

    /** One read that arrived damaged and was read intact again; {@code message} says which. */
    static void healed(String message) {
        long n = COUNT.incrementAndGet();
        if (saidInFull(n)) {
            LOG.warn("{}{}", message, n == IN_FULL ? " (from now on such reads are counted, not each said)" : "");
        } else if (counted(n)) {
            LOG.warn("{} reads so far arrived damaged and were read again intact: damage in transit, not in the store;"
                    + " the latest: {}", n, message);
        } else {
            LOG.debug("{}", message);
        }
    }

    /** Whether the {@code n}th such read is said in full. */
    static boolean saidInFull(long n) {
        return n <= IN_FULL;
    }

    /** Whether the {@code n}th (after those said in full) is said as a count: at 10, 100, 1000, ... */
    static boolean counted(long n) {
        return n > IN_FULL && isPowerOfTen(n);
    }

    private static boolean isPowerOfTen(long n) {
        while (n >= 10 && n % 10 == 0) {
            n /= 10;
        }
        return n == 1;
    }

    /** How many such reads this process has seen (for tests). */
    static long count() {
        return COUNT.get();
    }
}
