package com.mintreplica.backup.testkit.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP/1.1 proxy on loopback, in front of the test S3 server, that injects faults into chosen requests: it
 * answers {@code 503 SlowDown} without forwarding, cuts the connection in the middle of a request body (an upload),
 * cuts it in the middle of a response body (a download), or answers {@code 403} as S3 does for a delete refused by
 * Object Lock; it resets the connection part way into a response body (a LIST whose XML is cut off), flips one byte
 * of a response body (damage in transit: the stored object is intact), or answers {@code 501 NotImplemented} as a
 * store does for a request it does not implement. Everything else is forwarded byte for byte (so SigV4 signatures
 * stay valid).
 *
 * <p>It parses only what it needs: the request line and headers, and a body framed by Content-Length (what the AWS
 * SDK sends). Responses are piped through unparsed.
 *
 * <pre>{@code
 * try (FaultProxy proxy = new FaultProxy(s3Endpoint)) {
 *     proxy.plan((method, target, n) -> method.equals("GET") && target.contains("list-type=2")
 *             ? FaultProxy.Fault.RESET_IN_RESPONSE_BODY : FaultProxy.Fault.NONE);
 *     // point the client (or an s3:// repository URI's endpoint) at proxy.endpoint()
 * }
 * }</pre>
 */
public final class FaultProxy implements AutoCloseable {

    /** What to do with one request. */
    public enum Fault {
        /** Forwards the request and its response unchanged. */
        NONE,
        /** Answers {@code 503 SlowDown} without forwarding. */
        SLOW_DOWN_503,
        /**
         * Forwards the request head and half its body, then closes the connection. Give it bodies of some KiB: half of
         * a body of a few bytes, sent aws-chunked with a trailing checksum, can hold all its data and its last chunk,
         * and the store may then answer 200 before the cut.
         */
        DROP_DURING_UPLOAD,
        /** Forwards the request, then closes the connection after 64 KiB of the response. */
        DROP_DURING_DOWNLOAD,
        /** Answers {@code 403 AccessDenied} as S3 does for a delete refused by Object Lock, without forwarding. */
        DENY_OBJECT_LOCKED,
        /** Forwards the request, then resets the connection (TCP RST) after the response head and 64 body bytes. */
        RESET_IN_RESPONSE_BODY,
        /** Forwards the request and flips one bit of the response body's byte at {@link #FLIPPED_BODY_BYTE}. */
        FLIP_BYTE_IN_RESPONSE_BODY,
        /** Answers {@code 501 NotImplemented} without forwarding. */
        NOT_IMPLEMENTED_501,
        /**
         * Answers {@code 400 IncompleteBody} without forwarding, as S3 answers an upload whose body was cut on its way
         * (by a proxy or a load balancer) while the client's own connection stayed open.
         */
        INCOMPLETE_BODY_400,
        /**
         * Answers {@code 400 MalformedXML} without forwarding, as S3 answers a request whose XML body (a multipart
         * completion's list of parts) was cut on its way.
         */
        MALFORMED_XML_400,
        /**
         * Forwards the request and flips one bit of the response head's {@code Content-Length} header name, as damage in
         * transit to a plain-HTTP endpoint would: the client sees an answer without a length.
         */
        DAMAGE_CONTENT_LENGTH_HEADER
    }

    /**
     * Which byte of a response body {@link Fault#FLIP_BYTE_IN_RESPONSE_BODY} damages the first time; each later flip
     * is 7 bytes further on, so that damage in transit differs from read to read, as it does on a real network.
     */
    public static final int FLIPPED_BODY_BYTE = 20;
    private final AtomicInteger flips = new AtomicInteger();

    /**
     * Chooses the fault for a request from its {@code method}, its {@code target} (path with query, as sent) and its
     * {@code number} (1 for the first request the proxy saw, counting every connection).
     */
    public interface Plan {
        Fault decide(String method, String target, int number);
    }

    /** A request the proxy saw. */
    public record Seen(String method, String target, Fault fault) {
    }

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile Plan plan = (m, t, n) -> Fault.NONE;
    private volatile boolean closed;

    /** Starts the proxy on a free loopback port, in front of the HTTP server at {@code upstream} (host and port). */
    public FaultProxy(URI upstream) throws IOException {
        this.upstream = new InetSocketAddress(upstream.getHost(), upstream.getPort());
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Where clients connect: {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** Chooses the faults of the requests from now on; until called, every request is forwarded unchanged. */
    public void plan(Plan plan) {
        this.plan = plan;
    }

    /** Every request seen so far, in order, with the fault applied to it. */
    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    /** How many requests got a fault other than {@link Fault#NONE}. */
    public long faults() {
        return seen.stream().filter(s -> s.fault() != Fault.NONE).count();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                open.add(client);
                Thread t = new Thread(() -> serve(client), "fault-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client; Socket up = new Socket(upstream.getAddress(), upstream.getPort())) {
            open.add(up);
            InputStream fromClient = client.getInputStream();
            OutputStream toUpstream = up.getOutputStream();
            ResponsePump pump = new ResponsePump(up.getInputStream(), client.getOutputStream(), client, up, flips);
            Thread pumpThread = new Thread(pump, "fault-proxy-pump");
            pumpThread.setDaemon(true);
            pumpThread.start();
            while (true) {
                byte[] head = readHead(fromClient);
                if (head == null) {
                    return;
                }
                String text = new String(head, StandardCharsets.ISO_8859_1);
                String[] requestLine = text.substring(0, text.indexOf("\r\n")).split(" ");
                long length = contentLength(text);
                boolean expectContinue = text.toLowerCase(Locale.ROOT).contains("\r\nexpect: 100-continue");
                Fault fault = plan.decide(requestLine[0], requestLine[1], requests.incrementAndGet());
                seen.add(new Seen(requestLine[0], requestLine[1], fault));
                switch (fault) {
                    case SLOW_DOWN_503 -> {
                        if (!expectContinue) {
                            fromClient.skipNBytes(length);
                        }
                        respond(client, 503, "SlowDown", "Please reduce your request rate.");
                        return;
                    }
                    case DENY_OBJECT_LOCKED -> {
                        if (!expectContinue) {
                            fromClient.skipNBytes(length);
                        }
                        respond(client, 403, "AccessDenied", "Access Denied because object protected by object lock.");
                        return;
                    }
                    case NOT_IMPLEMENTED_501 -> {
                        if (!expectContinue) {
                            fromClient.skipNBytes(length);
                        }
                        respond(client, 501, "NotImplemented", "A header you provided implies functionality that is not implemented.");
                        return;
                    }
                    case INCOMPLETE_BODY_400 -> {
                        if (!expectContinue) {
                            fromClient.skipNBytes(length);
                        }
                        respond(client, 400, "IncompleteBody",
                                "You did not provide the number of bytes specified by the Content-Length HTTP header.");
                        return;
                    }
                    case MALFORMED_XML_400 -> {
                        if (!expectContinue) {
                            fromClient.skipNBytes(length);
                        }
                        respond(client, 400, "MalformedXML", "The XML you provided was not well-formed or did not"
                                + " validate against our published schema.");
                        return;
                    }
                    case RESET_IN_RESPONSE_BODY, FLIP_BYTE_IN_RESPONSE_BODY, DAMAGE_CONTENT_LENGTH_HEADER -> {
                        pump.armBodyFault(fault);
                        toUpstream.write(head);
                        copy(fromClient, toUpstream, length);
                        toUpstream.flush();
                    }
                    case DROP_DURING_UPLOAD -> {
                        toUpstream.write(head);
                        toUpstream.flush();
                        long half = Math.max(1, length / 2);
                        copy(fromClient, toUpstream, half);
                        return;   // closes both sockets with the body half sent
                    }
                    case DROP_DURING_DOWNLOAD -> {
                        // a flip armed for a shorter response before it on this connection would land in this head
                        pump.armBodyFault(null);
                        pump.cutAfterBodyBytes(64 * 1024);
                        toUpstream.write(head);
                        copy(fromClient, toUpstream, length);
                        toUpstream.flush();
                    }
                    default -> {
                        pump.armBodyFault(null);
                        toUpstream.write(head);
                        copy(fromClient, toUpstream, length);
                        toUpstream.flush();
                    }
                }
            }
        } catch (IOException e) {
            // a cut connection: the client sees it, which is the point
        }
    }

    private static void respond(Socket client, int status, String code, String message) throws IOException {
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + message
                + "</Message><RequestId>fault-proxy</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
        String reason = switch (status) {
            case 503 -> "Service Unavailable";
            case 501 -> "Not Implemented";
            case 400 -> "Bad Request";
            default -> "Forbidden";
        };
        String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: application/xml\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n";
        OutputStream out = client.getOutputStream();
        synchronized (out) {
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
        }
        client.shutdownOutput();
    }

    private static void copy(InputStream in, OutputStream out, long n) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = n;
        while (left > 0) {
            int r = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (r < 0) {
                throw new IOException("client closed mid-body");
            }
            out.write(buffer, 0, r);
            left -= r;
        }
    }

    /** Reads up to and including the blank line that ends the head; null at a clean end of the connection. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toByteArray();
            }
        }
    }

    private static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                return Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        return 0;
    }

    /** Pipes responses from the server to the client; can cut the connection part way into a response body. */
    private static final class ResponsePump implements Runnable {
        private final InputStream in;
        private final OutputStream out;
        private final Socket client;
        private final Socket up;
        private volatile long cutAfter = -1;
        /** A fault for the body of the next response, and where the pump is in that response. */
        private volatile Fault bodyFault;
        private int headMatched;
        private long bodyBytes;
        private boolean inBody;
        private long flipAt;

        private final AtomicInteger flips;

        ResponsePump(InputStream in, OutputStream out, Socket client, Socket up, AtomicInteger flips) {
            this.flips = flips;
            this.in = in;
            this.out = out;
            this.client = client;
            this.up = up;
        }

        void cutAfterBodyBytes(long n) {
            cutAfter = n;
        }

        /**
         * Applies {@code fault} to the body of the next response (the client does not pipeline requests); {@code null}
         * clears a fault a shorter response did not reach.
         */
        void armBodyFault(Fault fault) {
            flipAt = fault == null ? -1 : FLIPPED_BODY_BYTE + 7L * flips.getAndIncrement();
            headMatched = 0;
            bodyBytes = 0;
            inBody = false;
            bodyFault = fault;
        }

        /**
         * Applies an armed body fault to {@code n} bytes just read; returns how many of them to send, or -1 when the
         * connection was reset after sending them.
         */
        private int applyBodyFault(byte[] buffer, int n) throws IOException {
            Fault fault = bodyFault;
            if (fault == null) {
                return n;
            }
            if (fault == Fault.DAMAGE_CONTENT_LENGTH_HEADER && !inBody) {
                // the head of a response arrives in its first read: damage the header there
                int at = new String(buffer, 0, n, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT)
                        .indexOf("\r\ncontent-length:");
                if (at >= 0) {
                    buffer[at + 2] ^= 0x01;
                }
                bodyFault = null;
                return n;
            }
            for (int i = 0; i < n; i++) {
                if (!inBody) {
                    byte b = buffer[i];
                    headMatched = (b == '\r' && (headMatched == 0 || headMatched == 2)) || (b == '\n' && (headMatched == 1 || headMatched == 3))
                            ? headMatched + 1 : (b == '\r' ? 1 : 0);
                    inBody = headMatched == 4;
                    continue;
                }
                if (fault == Fault.FLIP_BYTE_IN_RESPONSE_BODY && bodyBytes == flipAt) {
                    buffer[i] ^= 0x01;
                    bodyFault = null;
                    return n;
                }
                if (fault == Fault.RESET_IN_RESPONSE_BODY && bodyBytes == 64) {
                    synchronized (out) {
                        out.write(buffer, 0, i);
                        out.flush();
                    }
                    bodyFault = null;
                    client.setSoLinger(true, 0); // close with a TCP reset, as a broken connection does
                    client.close();
                    up.close();
                    return -1;
                }
                bodyBytes++;
            }
            return n;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[16 * 1024];
            try {
                long sinceCutArmed = 0;
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    n = applyBodyFault(buffer, n);
                    if (n < 0) {
                        return;
                    }
                    long cut = cutAfter;
                    if (cut >= 0) {
                        sinceCutArmed += n;
                        if (sinceCutArmed > cut) {
                            synchronized (out) {
                                out.write(buffer, 0, (int) Math.max(0, n - (sinceCutArmed - cut)));
                                out.flush();
                            }
                            client.close();
                            up.close();
                            return;
                        }
                    }
                    synchronized (out) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // connection gone
            } finally {
                try {
                    client.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    /** Stops accepting and closes every open connection. */
    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        List<Socket> sockets = new ArrayList<>(open);
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
