package com.mintreplica.backup.core.internal;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/** Snapshot ids: {@code yyyyMMdd-HHmmss-<8 hex>} in UTC, so they sort by time and stay unique. */
public final class SnapshotIds {
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private static final Pattern VALID = Pattern.compile("\\d{8}-\\d{6}-[0-9a-f]{8}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private SnapshotIds() {
    }

    public static String next(Instant time) {
        return FORMAT.format(time) + "-" + String.format("%08x", RANDOM.nextInt());
    }

    public static boolean isValid(String id) {
        return VALID.matcher(id).matches();
    }
}
