package com.mintreplica.backup.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback port where nothing listens, for tests of "the server cannot be reached": connecting to it is refused for
 * as long as this is open, because a socket that never listens holds it, so no other process can take it meanwhile. (A
 * {@code ServerSocket(0)} closed right away to learn a free port leaves that port to whichever process binds next: with
 * several test JVMs starting servers on the same machine, the test would then reach one of those.) Close it after use.
 */
public final class ClosedPort implements AutoCloseable {
    private final Socket holder;

    private ClosedPort(Socket holder) {
        this.holder = holder;
    }

    /** Reserves a free loopback port that refuses connections until {@link #close()}. */
    public static ClosedPort reserve() {
        Socket socket = new Socket();
        try {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return new ClosedPort(socket);
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing bound
            }
            throw new UncheckedIOException("cannot reserve a loopback port: " + e.getMessage(), e);
        }
    }

    public int port() {
        return holder.getLocalPort();
    }

    /** {@code 127.0.0.1} (the loopback address the port is reserved on). */
    public String host() {
        return holder.getLocalAddress().getHostAddress();
    }

    @Override
    public void close() {
        try {
            holder.close();
        } catch (IOException ignored) {
            // the port is released either way
        }
    }

    @Override
    public String toString() {
        return "ClosedPort[" + host() + ":" + port() + "]";
    }
}
