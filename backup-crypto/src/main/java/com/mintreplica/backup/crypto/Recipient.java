package com.mintreplica.backup.crypto;

import java.time.Instant;
import java.util.List;

/**
 * A key that opens an encrypted repository, as its {@code keys/} objects record it (no secret needed to list them).
 *
 * @param fingerprint the primary key's fingerprint
 * @param encryptionKeyId the (sub)key the repository's keys are wrapped for, as {@code gpg --decrypt} names it
 * @param userIds the key's user ids
 * @param added when the first of its key objects was written
 * @param keyObjects the names of its {@code keys/} objects
 */
public record Recipient(String fingerprint, String encryptionKeyId, List<String> userIds, Instant added,
                        List<String> keyObjects) {
    public Recipient {
        userIds = List.copyOf(userIds);
        keyObjects = List.copyOf(keyObjects);
    }

    /** Whether {@code selector} names this recipient: fingerprint, key id (16 or 8 hex digits), or part of a user id. */
    public boolean matches(String selector) {
        String s = selector.trim();
        String hex = (s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s).replace(" ", "")
                .toUpperCase(java.util.Locale.ROOT);
        if (hex.matches("[0-9A-F]{8,}") && (fingerprint.endsWith(hex) || encryptionKeyId.endsWith(hex))) {
            return true;
        }
        String lower = s.toLowerCase(java.util.Locale.ROOT);
        return !s.isEmpty() && userIds.stream().anyMatch(u -> u.toLowerCase(java.util.Locale.ROOT).contains(lower));
    }

    /** {@code FINGERPRINT (subkey ID) <user id>}, for messages. */
    @Override
    public String toString() {
        return fingerprint + " (subkey " + encryptionKeyId + ")" + (userIds.isEmpty() ? "" : " " + userIds.get(0));
    }
}
