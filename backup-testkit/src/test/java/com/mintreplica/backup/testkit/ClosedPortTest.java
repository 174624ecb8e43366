package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** A reserved port refuses connections, and no server can take it while it is reserved. */
class ClosedPortTest {
    @Test
    void a_reserved_port_refuses_connections_and_cannot_be_taken_by_a_server() throws Exception {
        try (ClosedPort closed = ClosedPort.reserve()) {
            assertThat(closed.host()).isEqualTo("127.0.0.1");
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), closed.port());
            assertThatThrownBy(() -> {
                try (Socket client = new Socket()) {
                    client.connect(address, 5000);
                }
            }).isInstanceOf(ConnectException.class);
            assertThatThrownBy(() -> {
                try (ServerSocket server = new ServerSocket()) {
                    server.bind(address);
                }
            }).isInstanceOf(BindException.class);
        }
    }
}
