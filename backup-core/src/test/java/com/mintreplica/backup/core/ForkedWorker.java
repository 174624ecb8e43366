package com.mintreplica.backup.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@link PruneWorker} in its own JVM, with its stdout collected line by line. */
final class ForkedWorker implements AutoCloseable {
    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final Thread reader;

    private ForkedWorker(Process process) {
        this.process = process;
        this.reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                    queue.add(line);
                }
            } catch (IOException ignored) {
                // the process was killed
            }
        }, "worker-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code PruneWorker args} with this JVM's class path; its log goes to {@code log}. */
    static ForkedWorker start(Path log, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(PruneWorker.class.getName());
        command.addAll(List.of(args));
        try {
            return new ForkedWorker(new ProcessBuilder(command).redirectError(log.toFile()).start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for a line starting with {@code prefix}; fails when the process ends or the time is up first. */
    String await(String prefix, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String line = queue.poll(200, TimeUnit.MILLISECONDS);
            if (line != null && line.startsWith(prefix)) {
                return line;
            }
            if (line == null && !process.isAlive() && queue.isEmpty()) {
                reader.join(1000);
                if (queue.isEmpty()) {
                    break;
                }
            }
        }
        throw new AssertionError("the worker did not print '" + prefix + "...' (alive: " + process.isAlive()
                + ", output: " + lines + ")");
    }

    /** Waits for the process to end by itself and returns its exit code. */
    int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("the worker did not end in " + seconds + " s; output: " + lines);
        }
        reader.join(2000);
        return process.exitValue();
    }

    /** kill -9. */
    int kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(2000);
        return process.exitValue();
    }

    List<String> linesStartingWith(String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).toList();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
