package com.mintreplica.backup.core.sink;

import com.mintreplica.backup.core.internal.RepositoryLock;
import com.mintreplica.backup.core.internal.Sha256;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Who wrote a temporary file of {@link LocalDirectorySink}: {@code <host tag>-<pid>-<random>} after the prefix, where
 * the host tag is 8 hex digits of the SHA-256 of the host name and PID namespace (process ids mean something only
 * within one).
 */
final class TemporaryNames {
    private static volatile String ownerTag;
    private static volatile String hostTag;

    private TemporaryNames() {
    }

    /** This process's part of its temporary file names: {@code <host tag>-<pid>}. */
    static String ownerTag() {
        String tag = ownerTag;
        if (tag == null) {
            tag = hostTag() + "-" + ProcessHandle.current().pid();
            ownerTag = tag;
        }
        return tag;
    }

    private static String hostTag() {
        String tag = hostTag;
        if (tag == null) {
            RepositoryLock.Identity self = RepositoryLock.Identity.current();
            byte[] hash = Sha256.hash((self.host() + "\n" + self.pidNamespace()).getBytes(StandardCharsets.UTF_8));
            tag = java.util.HexFormat.of().formatHex(hash, 0, 4);
            hostTag = tag;
        }
        return tag;
    }

    /**
     * Whether a temporary file (its name after the prefix) is stale: its writer was a process of this host that no
     * longer runs (its pid is gone, or now names a process started well after the file last changed, which cannot have
     * written it), or the writer cannot be asked (another host, an old name) and the file has not changed since
     * {@code horizon}.
     */
    static boolean isStale(String rest, Instant modified, Instant horizon) {
        String[] parts = rest.split("-", 3);
        if (parts.length == 3 && parts[0].equals(hostTag()) && parts[1].matches("[0-9]{1,19}")) {
            long pid = Long.parseLong(parts[1]);
            // A process start time is known to about a second (from the boot time): a minute's margin keeps a
            // writer that wrote at once after it started from looking younger than its own file.
            return ProcessHandle.of(pid)
                    .map(p -> p.info().startInstant().map(started -> started.isAfter(modified.plusSeconds(60))).orElse(false))
                    .orElse(true);
        }
        return modified.isBefore(horizon);
    }
}
