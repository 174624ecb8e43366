package com.mintreplica.backup.fs.internal;

import com.mintreplica.backup.core.source.FileNames;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a restore could not bring back, said once per kind (device nodes, user xattrs, ACLs, ...) with the first path,
 * and counted: a target that cannot hold ACLs gets one warning, not one per file.
 */
final class RestoreWarnings {
    private static final Logger LOG = LoggerFactory.getLogger(TreeWriter.class);

    private final Map<String, int[]> counts = new LinkedHashMap<>();

    synchronized void warn(String kind, String path, String message) {
        int[] count = counts.computeIfAbsent(kind, k -> new int[1]);
        if (count[0]++ == 0) {
            LOG.warn("{}: {}", FileNames.display(path), message);
        }
    }

    /** Logs how many entries each kind of warning concerned, where more than the first. */
    synchronized void summarize() {
        counts.forEach((kind, count) -> {
            if (count[0] > 1) {
                LOG.warn("the same ({}) {} more time{}", kind, count[0] - 1, count[0] == 2 ? "" : "s");
            }
        });
    }

    synchronized int count(String kind) {
        int[] c = counts.get(kind);
        return c == null ? 0 : c[0];
    }
}
