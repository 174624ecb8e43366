package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.jobs.JobMetrics;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.JobStatus;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Collection;
import java.util.Optional;

/**
 * {@code mint-backup daemon --metrics-address HOST:PORT}: backup-jobs' {@link JobMetrics} on a Prometheus registry,
 * served at {@code http://HOST:PORT/metrics} in Prometheus' text format by the JDK's HTTP server. The meters' tag
 * {@code job} is exported as {@code backup_job}: Prometheus gives every scraped series its own {@code job} label (the
 * scrape job), and would rename ours to {@code exported_job}. Names: {@code mint_backup_job_last_success_seconds},
 * {@code mint_backup_job_duration_seconds_*}, {@code mint_backup_job_bytes_*}, {@code mint_backup_job_failures_total}.
 */
final class MetricsServer implements AutoCloseable {
    private final PrometheusMeterRegistry registry;
    private final JobMetrics metrics;
    private final HttpServer server;
    private final java.util.concurrent.ExecutorService handlers;
    /** One report built at a time: it reads every repository, and must not take the threads scrapes need. */
    private final java.util.concurrent.Semaphore reportBuilds = new java.util.concurrent.Semaphore(1);

    private MetricsServer(PrometheusMeterRegistry registry, HttpServer server, java.util.concurrent.ExecutorService handlers) {
        this.registry = registry;
        this.metrics = new JobMetrics(registry);
        this.server = server;
        this.handlers = handlers;
    }

    /**
     * Listens on {@code address} ({@code HOST:PORT}, {@code :PORT} for every interface; port 0 picks a free one).
     *
     * @throws InvalidInputException when the address is malformed or cannot be listened on
     */
    static MetricsServer start(String address) {
        int colon = address.lastIndexOf(':');
        int port;
        try {
            port = colon < 0 ? -1 : Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65_535) {
            throw new InvalidInputException("--metrics-address '" + address + "' is not HOST:PORT: write, say,"
                    + " 127.0.0.1:9464 or :9464 (every interface)");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        InetSocketAddress at = host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
        if (at.isUnresolved()) {
            throw new InvalidInputException("--metrics-address '" + address + "': unknown host '" + host + "'");
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(MeterFilter.renameTag("mint.backup", "job", "backup_job"));
        HttpServer server;
        try {
            server = HttpServer.create(at, 16);
        } catch (IOException e) {
            registry.close();
            throw new InvalidInputException("cannot serve metrics on " + address + ": " + e.getMessage()
                    + " (is another process listening there?)", e);
        }
        server.createContext("/metrics", exchange -> {
            try (exchange) {
                byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        // A few handler threads (not the server's one dispatcher thread): a slow /report leaves /metrics answering.
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService handlers = java.util.concurrent.Executors.newFixedThreadPool(3, r -> {
            Thread t = new Thread(r, "mint-backup-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(handlers);
        server.start();
        return new MetricsServer(registry, server, handlers);
    }

    /**
     * Also serves {@code page} at {@code /report} (an HTML page built on each request: {@code mint-backup report}'s).
     * A page that cannot be built answers 500 with the reason, as text; a request while another builds the page
     * answers 503 (one build at a time, so scrapes of /metrics always find a thread).
     */
    void serveReport(java.util.function.Supplier<String> page) {
        server.createContext("/report", exchange -> {
            try (exchange) {
                int status = 200;
                String type = "text/html; charset=utf-8";
                String text;
                if (!reportBuilds.tryAcquire()) {
                    status = 503;
                    type = "text/plain; charset=utf-8";
                    text = "the report is being built for another request: try again in a moment\n";
                    exchange.getResponseHeaders().set("Retry-After", "5");
                } else {
                    try {
                        text = page.get();
                    } catch (RuntimeException e) {
                        status = 500;
                        type = "text/plain; charset=utf-8";
                        text = "cannot build the report: " + e.getMessage() + "\n";
                    } finally {
                        reportBuilds.release();
                    }
                }
                byte[] body = text.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", type);
                exchange.getResponseHeaders().set("Cache-Control", "no-store");
                exchange.sendResponseHeaders(status, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
    }

    /** {@code http://HOST:PORT/report}. */
    String reportUrl() {
        return url().substring(0, url().length() - "/metrics".length()) + "/report";
    }

    /** The listener that updates the meters. */
    JobMetrics metrics() {
        return metrics;
    }

    /**
     * Registers the meters of every name the scheduler runs before any run: failures at 0, and each job's newest
     * snapshot (read from its repository) as its last success, so a backup that stopped before the daemon started
     * shows its true age.
     */
    void register(JobRunner runner, Collection<String> names, Clock clock) {
        for (String name : names) {
            JobConfig job = runner.config().jobs().get(name);
            Optional<java.time.Instant> last = Optional.empty();
            if (job != null) {
                last = JobStatus.check(runner, job, clock.instant()).lastGoodTime();
            }
            metrics.register(name, last);
        }
    }

    /** {@code http://HOST:PORT/metrics}, with the port actually bound. */
    String url() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "localhost" : a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + a.getPort() + "/metrics";
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
        registry.close();
    }
}
