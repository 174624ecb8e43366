package com.mintreplica.backup.core;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This machine's host name, as snapshots and run records name it: the kernel's ({@code uname -n}), as restic's
 * {@code os.Hostname()}. It was the resolver's answer for it ({@code InetAddress.getLocalHost()}), and "localhost"
 * where the name did not resolve (a renamed machine, a minimal image): two such machines then shared one retention
 * group, and a prune kept one machine's snapshots in place of the other's.
 */
public final class Hosts {
    private static final Logger LOG = LoggerFactory.getLogger(Hosts.class);
    private static final Path KERNEL = Path.of("/proc/sys/kernel/hostname");

    private Hosts() {
    }

    /** The host name: the kernel's on Linux, else the JVM's; "localhost" only where there is none at all, said once. */
    public static String local() {
        return Holder.NAME;
    }

    private static final class Holder {
        static final String NAME = find(KERNEL);
    }

    static String find(Path kernel) {
        try {
            String name = Files.readString(kernel, StandardCharsets.UTF_8).strip();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            LOG.warn("this machine's host name cannot be found ({}): its snapshots are recorded as host 'localhost',"
                    + " the name of every other such machine; give one with --host", e.toString());
            return "localhost";
        }
    }
}
