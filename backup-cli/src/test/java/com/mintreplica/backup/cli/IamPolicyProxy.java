package com.mintreplica.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * An HTTP proxy on loopback in front of the test S3 server (s3proxy, which has no IAM) that enforces an IAM policy
 * document the way S3 would for the requests the S3 Sink makes: it maps each request to its IAM action and resource
 * ({@code GET key} is {@code s3:GetObject}, {@code DELETE key?uploadId} is {@code s3:AbortMultipartUpload}, a list is
 * {@code s3:ListBucket} with {@code s3:prefix}, ...), evaluates Allow and Deny statements (wildcards in resources; the
 * conditions {@code StringLike s3:prefix}, {@code Null s3:if-none-match}, {@code Bool s3:ObjectCreationOperation}),
 * and answers {@code 403 AccessDenied} to what the policy does not allow. Allowed requests are forwarded byte for byte
 * (SigV4 signatures stay valid). A test double for IAM, since nothing here runs real IAM; path-style requests only.
 */
final class IamPolicyProxy implements AutoCloseable {
    /** A request and what the policy said. */
    record Decision(String method, String target, String action, String resource, boolean allowed) {
    }

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final JsonNode policy;
    private final List<Decision> decisions = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /** Enforces the policy in {@code file}, its {@code BUCKET} and {@code PREFIX} placeholders replaced. */
    IamPolicyProxy(URI upstream, Path file, String bucket, String prefix) throws IOException {
        String text = java.nio.file.Files.readString(file).replace("BUCKET", bucket).replace("PREFIX", prefix);
        this.policy = new ObjectMapper().readTree(text);
        this.upstream = new InetSocketAddress(upstream.getHost(), upstream.getPort());
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "iam-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    List<Decision> decisions() {
        return List.copyOf(decisions);
    }

    List<Decision> denied() {
        return decisions.stream().filter(d -> !d.allowed()).toList();
    }

    // ---- the policy

    /** The IAM action, resource and condition context of a path-style request. */
    record Request(String action, String resource, Map<String, String> context) {
    }

    static Request classify(String method, String target, Map<String, String> headers) {
        int q = target.indexOf('?');
        String path = URLDecoder.decode(q < 0 ? target : target.substring(0, q), StandardCharsets.UTF_8);
        Map<String, String> query = new LinkedHashMap<>();
        if (q >= 0) {
            for (String pair : target.substring(q + 1).split("&")) {
                int eq = pair.indexOf('=');
                query.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        String rest = path.startsWith("/") ? path.substring(1) : path;
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        Map<String, String> context = new LinkedHashMap<>();
        context.put("s3:if-none-match", headers.get("if-none-match"));
        if (key.isEmpty()) {
            String arn = "arn:aws:s3:::" + bucket;
            if (method.equals("GET") && query.containsKey("versioning")) {
                return new Request("s3:GetBucketVersioning", arn, context);
            }
            if (method.equals("GET") && query.containsKey("object-lock")) {
                return new Request("s3:GetBucketObjectLockConfiguration", arn, context);
            }
            if (method.equals("GET") || method.equals("HEAD")) {
                context.put("s3:prefix", query.getOrDefault("prefix", ""));
                return new Request("s3:ListBucket", arn, context);
            }
            return new Request("s3:Unknown" + method + "Bucket", arn, context);
        }
        String arn = "arn:aws:s3:::" + bucket + "/" + key;
        switch (method) {
            case "GET", "HEAD" -> {
                if (query.containsKey("retention")) {
                    return new Request("s3:GetObjectRetention", arn, context);
                }
                if (query.containsKey("legal-hold")) {
                    return new Request("s3:GetObjectLegalHold", arn, context);
                }
                return new Request("s3:GetObject", arn, context);
            }
            case "PUT" -> {
                if (query.containsKey("retention")) {
                    return new Request("s3:PutObjectRetention", arn, context);
                }
                context.put("s3:ObjectCreationOperation", String.valueOf(!query.containsKey("partNumber")));
                return new Request("s3:PutObject", arn, context);
            }
            case "POST" -> {
                // CreateMultipartUpload (?uploads) and CompleteMultipartUpload (?uploadId=) are s3:PutObject
                context.put("s3:ObjectCreationOperation", String.valueOf(query.containsKey("uploadId")));
                return new Request("s3:PutObject", arn, context);
            }
            case "DELETE" -> {
                return new Request(query.containsKey("uploadId") ? "s3:AbortMultipartUpload" : "s3:DeleteObject", arn, context);
            }
            default -> {
                return new Request("s3:Unknown" + method, arn, context);
            }
        }
    }

    /** IAM's rule: an explicit Deny wins; otherwise an Allow is needed. */
    boolean allows(Request request) {
        boolean allowed = false;
        for (JsonNode statement : policy.get("Statement")) {
            if (!matches(statement, request)) {
                continue;
            }
            if (statement.get("Effect").asText().equals("Deny")) {
                return false;
            }
            allowed = true;
        }
        return allowed;
    }

    private static boolean matches(JsonNode statement, Request request) {
        if (strings(statement.get("Action")).stream().noneMatch(a -> glob(a, request.action()))) {
            return false;
        }
        if (statement.has("Resource") && strings(statement.get("Resource")).stream().noneMatch(r -> glob(r, request.resource()))) {
            return false;
        }
        if (statement.has("NotResource") && strings(statement.get("NotResource")).stream().anyMatch(r -> glob(r, request.resource()))) {
            return false;
        }
        JsonNode condition = statement.get("Condition");
        if (condition == null) {
            return true;
        }
        for (var operator : (Iterable<Map.Entry<String, JsonNode>>) condition::fields) {
            for (var test : (Iterable<Map.Entry<String, JsonNode>>) operator.getValue()::fields) {
                String value = request.context().get(test.getKey());
                List<String> wanted = strings(test.getValue());
                boolean ok = switch (operator.getKey()) {
                    case "StringLike" -> value != null && wanted.stream().anyMatch(w -> glob(w, value));
                    case "Null" -> wanted.contains(String.valueOf(value == null));
                    case "Bool" -> value != null && wanted.contains(value);
                    default -> throw new IllegalArgumentException("condition operator not modelled: " + operator.getKey());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    private static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        } else {
            out.add(node.asText());
        }
        return out;
    }

    private static boolean glob(String pattern, String value) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return value.matches(regex.toString());
    }

    // ---- the proxy

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                open.add(client);
                Thread t = new Thread(() -> serve(client), "iam-proxy-conn");
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
            Thread pump = new Thread(() -> pipe(up, client), "iam-proxy-pump");
            pump.setDaemon(true);
            pump.start();
            while (true) {
                byte[] head = readHead(fromClient);
                if (head == null) {
                    return;
                }
                String text = new String(head, StandardCharsets.ISO_8859_1);
                String[] requestLine = text.substring(0, text.indexOf("\r\n")).split(" ");
                Map<String, String> headers = headers(text);
                long length = Long.parseLong(headers.getOrDefault("content-length", "0"));
                Request request = classify(requestLine[0], requestLine[1], headers);
                boolean allowed = allows(request);
                decisions.add(new Decision(requestLine[0], requestLine[1], request.action(), request.resource(), allowed));
                if (!allowed) {
                    if (!"100-continue".equalsIgnoreCase(headers.get("expect"))) {
                        fromClient.skipNBytes(length);
                    }
                    byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>"
                            + "Access Denied (" + request.action() + " on " + request.resource() + ")</Message>"
                            + "<RequestId>iam-proxy</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
                    OutputStream out = client.getOutputStream();
                    synchronized (out) {
                        out.write(("HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: " + body.length
                                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(body);
                        out.flush();
                    }
                    client.shutdownOutput();
                    return;
                }
                toUpstream.write(head);
                byte[] buffer = new byte[64 * 1024];
                long left = length;
                while (left > 0) {
                    int r = fromClient.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (r < 0) {
                        return;
                    }
                    toUpstream.write(buffer, 0, r);
                    left -= r;
                }
                toUpstream.flush();
            }
        } catch (IOException e) {
            // connection gone
        }
    }

    private static void pipe(Socket up, Socket client) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = up.getInputStream();
            OutputStream out = client.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
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

    private static Map<String, String> headers(String head) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        return out;
    }

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

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : new ArrayList<>(open)) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
