package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code mint-backup daemon} run by {@link MintBackup#run} in a thread of the test JVM, its output (stdout and stderr)
 * captured. {@link #stop(Duration)} interrupts the thread, which is how the daemon is told to stop here, and waits
 * for it; the test then checks {@link #isAlive()} and {@link #exitCode()}.
 */
final class InProcessDaemon {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final AtomicInteger code = new AtomicInteger(-1);
    private final Thread thread;

    private InProcessDaemon(Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of("daemon"));
        command.addAll(List.of(args));
        thread = new Thread(() -> {
            try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8)) {
                code.set(MintBackup.run(command.toArray(String[]::new), o, o, env, false));
            }
        });
    }

    /** Starts {@code mint-backup daemon ARGS} with the environment {@code env}. */
    static InProcessDaemon start(Map<String, String> env, String... args) {
        InProcessDaemon daemon = new InProcessDaemon(env, args);
        daemon.thread.start();
        return daemon;
    }

    /** What the daemon printed so far. */
    String output() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The URL the daemon prints after {@code "metrics for Prometheus at "}, once it has (at most 30 s). */
    String awaitMetricsUrl() throws InterruptedException {
        return awaitUrl("metrics for Prometheus at ");
    }

    /** The URL the daemon prints after {@code before}, once it has (at most 30 s). */
    String awaitUrl(String before) throws InterruptedException {
        Pattern url = Pattern.compile(Pattern.quote(before) + "(http://\\S+)");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Matcher m = url.matcher(output());
            if (m.find()) {
                return m.group(1);
            }
            assertThat(System.nanoTime()).as("the daemon starts: %s", out).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Interrupts the daemon's thread and waits for it to end, at most {@code within}. */
    void stop(Duration within) throws InterruptedException {
        thread.interrupt();
        thread.join(within.toMillis());
    }

    boolean isAlive() {
        return thread.isAlive();
    }

    /** The daemon's exit code, -1 while it runs. */
    int exitCode() {
        return code.get();
    }
}
