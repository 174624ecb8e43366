package com.mintreplica.backup.jobs.config;

import java.util.List;

/**
 * How a repository is encrypted (see backup-crypto).
 *
 * @param recipients the keys a new repository is encrypted to (names from {@code keys}); used when a job creates it
 * @param unlock the keys with secret parts that open it (names from {@code keys})
 */
public record EncryptionConfig(List<String> recipients, List<String> unlock) {
    public EncryptionConfig {
        recipients = List.copyOf(recipients);
        unlock = List.copyOf(unlock);
    }
}
