package com.mintreplica.backup.postgres.wal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.postgres.wal.internal.WalNames;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local spool of asynchronous archiving, as pgBackRest's archive-async: PostgreSQL runs archive_command once per
 * segment and waits, and a JVM start per segment is too slow under load. So one run of {@code wal-push} pushes the
 * segment PostgreSQL asked for <em>and</em> the others it has marked ready ({@code pg_wal/archive_status/*.ready}), in
 * parallel, and leaves an <em>acknowledgement</em> in the spool for each of the others once it is durable in the
 * repository. The next archive_command for such a segment finds its acknowledgement and exits 0 without a JVM (the
 * launcher's shell fast path, or {@link #consumeAcknowledgement}).
 *
 * <p>The promise: an acknowledgement is written (to a temporary file, fsynced, renamed, the directory fsynced) only
 * after {@link WalArchive#push} returned, i.e. after the Sink stored the object (a local directory: file and directory
 * fsynced; S3, GCS: the upload completed). PostgreSQL recycles a segment only after archive_command returned 0 for it,
 * which happens only through its own push or a valid acknowledgement. An acknowledgement is valid for one file only:
 * its first line is the file's name and it must be newer than the file (a segment written again under the same name
 * after the acknowledgement, as by a restored copy on the same timeline, is pushed again, and refused if it differs);
 * it is removed once used.
 *
 * <p>For restore_command, {@link #fetch} fetches the requested file and prefetches the next segments of its timeline
 * into the spool, each checked against its hash, so the next restore_command is a {@code mv} (the fast path). A
 * prefetched file is used only for its exact name.
 */
public final class WalSpool {
    private static final Logger LOG = LoggerFactory.getLogger(WalSpool.class);
    /** Acknowledgements: {@code archive/<wal file>.ok}. */
    public static final String ARCHIVE = "archive";
    /** Prefetched files: {@code fetch/<wal file>}. */
    public static final String FETCH = "fetch";
    private static final String SOURCE = ".source";

    private final Path directory;

    private WalSpool(Path directory) {
        this.directory = directory;
    }

    /** The spool in {@code directory}, created when missing. */
    public static WalSpool open(Path directory) {
        try {
            Files.createDirectories(directory.resolve(ARCHIVE));
            Files.createDirectories(directory.resolve(FETCH));
        } catch (IOException e) {
            throw new InvalidInputException("cannot use '" + directory + "' as the WAL spool: " + e.getMessage()
                    + " (give a directory the PostgreSQL user may write, --spool DIR)", e);
        }
        return new WalSpool(directory);
    }

    /** The spool's directory. */
    public Path directory() {
        return directory;
    }

    /** The acknowledgement file of {@code walFileName}. */
    public Path acknowledgement(String walFileName) {
        return directory.resolve(ARCHIVE).resolve(walFileName + ".ok");
    }

    /**
     * If an earlier batch acknowledged {@code walFile} (its acknowledgement names it and is newer than it), removes the
     * acknowledgement and returns true: the file is archived.
     */
    public boolean consumeAcknowledgement(Path walFile) {
        String name = walFile.getFileName().toString();
        if (!WalArchive.isWalFileName(name)) {
            return false;
        }
        Path ack = acknowledgement(name);
        try {
            List<String> lines = Files.readAllLines(ack, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !lines.get(0).equals(name)) {
                return false;
            }
            if (Files.getLastModifiedTime(ack).compareTo(Files.getLastModifiedTime(walFile)) <= 0) {
                LOG.info("the acknowledgement of {} is older than the file: pushing it again", name);
                Files.deleteIfExists(ack);
                return false;
            }
            Files.deleteIfExists(ack);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            LOG.warn("cannot read the acknowledgement {}: {}", ack, e.toString());
            return false;
        }
    }

    /**
     * What one {@link #push} run did.
     *
     * @param requested the file archive_command asked for
     * @param acknowledged the other ready files pushed and acknowledged in the spool
     * @param failed the other ready files that could not be pushed, with why (PostgreSQL asks for them again)
     */
    public record Batch(WalArchive.Pushed requested, List<String> acknowledged, Map<String, String> failed) {
        public Batch {
            acknowledged = List.copyOf(acknowledged);
            failed = Map.copyOf(failed);
        }
    }

    /**
     * Pushes {@code walFile} (which must be in {@code pg_wal}) and up to {@code batchSize - 1} other files PostgreSQL
     * has marked ready, oldest first, on {@code parallelism} threads, acknowledging each other one once durable.
     * Returns when all are done; throws when {@code walFile} itself could not be pushed.
     */
    public Batch push(WalArchive archive, Path walFile, int batchSize, int parallelism) {
        if (batchSize < 1 || parallelism < 1) {
            throw new InvalidInputException("the batch size and parallelism must be at least 1");
        }
        String requested = walFile.getFileName().toString();
        Path pgWal = walFile.toAbsolutePath().getParent();
        Path status = pgWal.resolve("archive_status");
        TreeSet<String> ready = new TreeSet<>();
        if (Files.isDirectory(status)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(status, "*.ready")) {
                for (Path p : s) {
                    String n = p.getFileName().toString();
                    ready.add(n.substring(0, n.length() - ".ready".length()));
                }
            } catch (IOException e) {
                LOG.warn("cannot list {}: {}; pushing {} alone", status, e.toString(), requested);
            }
        }
        removeStaleAcknowledgements(ready);
        ready.remove(requested);
        List<String> others = new ArrayList<>();
        for (String n : ready) {
            if (others.size() >= batchSize - 1) {
                break;
            }
            if (WalArchive.isWalFileName(n) && !Files.exists(acknowledgement(n))) {
                others.add(n);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, others.size() + 1), r -> {
            Thread t = new Thread(r, "wal-push");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<WalArchive.Pushed> mine = pool.submit(() -> archive.push(walFile));
            Map<String, Future<WalArchive.Pushed>> theirs = new LinkedHashMap<>();
            for (String n : others) {
                Path file = pgWal.resolve(n);
                theirs.put(n, pool.submit(() -> {
                    WalArchive.Pushed p = archive.push(file);
                    writeAcknowledgement(n, p.file());
                    return p;
                }));
            }
            List<String> acknowledged = new ArrayList<>();
            Map<String, String> failed = new LinkedHashMap<>();
            for (Map.Entry<String, Future<WalArchive.Pushed>> e : theirs.entrySet()) {
                try {
                    e.getValue().get();
                    acknowledged.add(e.getKey());
                } catch (ExecutionException ex) {
                    failed.put(e.getKey(), String.valueOf(ex.getCause().getMessage()));
                    LOG.warn("could not push {} ahead ({}); PostgreSQL will ask for it again", e.getKey(),
                            ex.getCause().toString());
                }
            }
            WalArchive.Pushed pushed;
            try {
                pushed = mine.get();
            } catch (ExecutionException ex) {
                if (ex.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new BackupException("cannot archive '" + walFile + "': " + ex.getCause(), ex.getCause());
            }
            return new Batch(pushed, acknowledged, failed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException("interrupted while archiving '" + walFile + "'", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Acknowledgements of files no longer ready (PostgreSQL archived them some other way, or a data directory was restored). */
    private void removeStaleAcknowledgements(java.util.Set<String> ready) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(directory.resolve(ARCHIVE))) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (n.endsWith(".tmp") || (n.endsWith(".ok") && !ready.contains(n.substring(0, n.length() - 3)))) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot clean the spool {}: {}", directory, e.toString());
        }
    }

    private void writeAcknowledgement(String name, WalFile file) throws IOException {
        Path dir = directory.resolve(ARCHIVE);
        Path temp = dir.resolve(name + ".ok." + Thread.currentThread().getId() + ".tmp");
        byte[] text = (name + "\n" + file.sha256() + "\n" + file.object() + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(text));
            ch.force(true);
        }
        Files.move(temp, acknowledgement(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(dir);
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot fsync a directory; the rename is then as durable as they make it
            LOG.debug("cannot fsync {}: {}", dir, e.toString());
        }
    }

    // ---- restore_command

    /**
     * Fetches {@code walFileName} into {@code destination}, from the spool when it was prefetched there (moved), else from
     * the archive; then, for a segment, prefetches up to {@code prefetch} following segments of its timeline into the
     * spool (on {@code parallelism} threads), each checked against its hash. Prefetched files of another archive, and
     * those behind the requested one, are removed.
     *
     * @return false when the archive has no such file
     */
    public boolean fetch(WalArchive archive, String walFileName, Path destination, int prefetch, int parallelism) {
        WalNames.Parsed parsed = WalNames.require(walFileName);
        Path fetchDir = directory.resolve(FETCH);
        checkSource(archive, fetchDir);
        Path spooled = fetchDir.resolve(walFileName);
        boolean found;
        if (Files.isRegularFile(spooled)) {
            try {
                Files.move(spooled, destination, StandardCopyOption.REPLACE_EXISTING);
                found = true;
            } catch (IOException e) {
                found = archive.fetch(walFileName, destination);
            }
        } else {
            found = archive.fetch(walFileName, destination);
        }
        if (!found || prefetch <= 0 || parsed.type() != WalFile.Type.SEGMENT) {
            return found;
        }
        long segmentSize = archive.segmentSize();
        long seq = parsed.sequence(segmentSize);
        TreeSet<String> wanted = new TreeSet<>();
        for (int i = 1; i <= prefetch; i++) {
            wanted.add(WalNames.segmentOfSequence(parsed.timeline(), seq + i, segmentSize));
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(fetchDir)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (!n.equals(SOURCE) && !wanted.contains(n)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot clean the spool {}: {}", fetchDir, e.toString());
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallelism), r -> {
            Thread t = new Thread(r, "wal-prefetch");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> all = new ArrayList<>();
            for (String n : wanted) {
                Path target = fetchDir.resolve(n);
                if (Files.exists(target)) {
                    continue;
                }
                all.add(pool.submit(() -> {
                    // into a temporary name first: the fast path must never see a file half fetched
                    Path temp = fetchDir.resolve("." + n + ".part");
                    try {
                        if (archive.fetch(n, temp)) {
                            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                        }
                    } finally {
                        Files.deleteIfExists(temp);
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    LOG.warn("prefetching failed ({}); restore_command fetches it when asked", e.getCause().toString());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pool.shutdownNow();
        }
        return true;
    }

    /** Clears prefetched files of another archive (a spool reused for another restore). */
    private static void checkSource(WalArchive archive, Path fetchDir) {
        String source = archive.repository().location() + "\n" + archive.cluster() + "\n";
        Path marker = fetchDir.resolve(SOURCE);
        try {
            String recorded = Files.exists(marker) ? Files.readString(marker, StandardCharsets.UTF_8) : null;
            if (!source.equals(recorded)) {
                try (DirectoryStream<Path> s = Files.newDirectoryStream(fetchDir)) {
                    for (Path p : s) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.writeString(marker, source, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            LOG.warn("cannot check the spool {}: {}", fetchDir, e.toString());
        }
    }
}
