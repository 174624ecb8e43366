package com.mintreplica.backup.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host name is the kernel's, as restic's: the resolver's answer made every machine whose name did not resolve
 * "localhost", one retention group for all of them (explorers' D-8).
 */
class HostsTest {
    @TempDir
    Path temp;

    @Test
    void the_kernels_name_is_taken_as_it_is_without_the_resolver() throws Exception {
        Path kernel = temp.resolve("hostname");
        Files.writeString(kernel, "web1-not-in-any-dns\n");
        assertThat(Hosts.find(kernel)).isEqualTo("web1-not-in-any-dns");
        // elsewhere (no such file), the JVM's name
        assertThat(Hosts.find(temp.resolve("missing"))).isEqualTo(java.net.InetAddress.getLocalHost().getHostName());
        if (Files.isReadable(Path.of("/proc/sys/kernel/hostname"))) {
            assertThat(Hosts.local()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/hostname")).strip());
        }
    }
}
