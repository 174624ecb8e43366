package com.mintreplica.backup.core;

import com.mintreplica.backup.core.event.BackupListener;
import com.mintreplica.backup.core.internal.BackupRun;
import com.mintreplica.backup.core.internal.Manifest;
import com.mintreplica.backup.core.internal.ParentCache;
import com.mintreplica.backup.core.retention.RetentionDecision;
import com.mintreplica.backup.core.retention.RetentionPolicy;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.transform.Transformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A configured backup: a source, a repository, and what to do around it. Immutable once built; {@link #run()} may be
 * called again for the next backup (the previous snapshot of the same source becomes the parent).
 */
public final class BackupPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(BackupPipeline.class);
    /** How long a backup waits for a running prune by default. */
    public static final Duration DEFAULT_LOCK_WAIT = Duration.ofMinutes(10);
    /**
     * The SLF4J logger each backup warning (a file that vanished or changed while read) is logged to, at WARN. An app
     * that shows the warnings itself (from {@link BackupResult} or a listener) can turn this logger off, so that
     * nothing is said twice.
     */
    public static final String WARNINGS_LOGGER = "com.mintreplica.backup.warnings";

    private final Source source;
    private final Repository repository;
    private final Sink sink;
    private final RepositorySettings settings;
    private final boolean transformersGiven;
    private final RetentionPolicy retention;
    private final Set<String> tags;
    private final Optional<String> job;
    private final String host;
    private final Optional<Instant> time;
    private final Clock clock;
    private final List<BackupListener> listeners;
    private final ExecutorService executor;
    private final int parallelism;
    private final long memoryBudget;
    private final boolean useParent;
    private final Duration lockWait;
    private final Duration stallTimeout;

    private BackupPipeline(Builder b) {
        this.source = b.source;
        this.repository = b.repository;
        this.sink = b.sink;
        this.settings = b.settings;
        this.transformersGiven = b.transformersGiven;
        this.retention = b.retention;
        this.tags = Set.copyOf(b.tags);
        this.job = Optional.ofNullable(b.job);
        this.host = b.host != null ? b.host : localHost();
        this.time = Optional.ofNullable(b.time);
        this.clock = b.clock;
        this.listeners = List.copyOf(b.listeners);
        this.executor = b.executor;
        this.parallelism = b.parallelism;
        this.memoryBudget = b.memoryBudget;
        this.useParent = b.useParent;
        this.lockWait = b.lockWait;
        this.stallTimeout = b.stallTimeout;
    }

    /**
     * Runs one backup: reads the source, stores what is new, commits the snapshot, then applies the retention policy
     * (if any) to the snapshots of the same source, host and job.
     *
     * @throws BackupException when the backup fails; no snapshot is committed then
     */
    public BackupResult run() {
        long start = System.nanoTime();
        Repository repo = repository != null ? repository : openOrInit();
        try {
            checkTransformers(repo);
            if (retention != null && !repo.canRead()) {
                // Checked before anything is stored: a run that backs up and then cannot apply its retention fails late.
                throw new InvalidInputException("this pipeline applies a retention policy, which reads the repository's"
                        + " snapshots: that needs a reader's key, and the repository at " + repo.location() + " was opened"
                        + " with write-only keys. Drop retention(...) here and prune where a recipient's key is");
            }
            Optional<Manifest> parent = useParent && repo.canRead() ? parent(repo) : Optional.empty();
            ExecutorService pool = executor != null ? executor : Repository.newExecutor("mint-backup-worker", parallelism);
            // A writer cannot read manifests: its parent is its local cache, read a directory at a time (closed below).
            Optional<ParentCache.Reader> cachedParent = useParent && !repo.canRead()
                    ? repo.store().cachedParent(host, source.id()) : Optional.empty();
            Snapshot snapshot;
            boolean done = false;
            try {
                snapshot = new BackupRun(repo.store(), new BackupRun.Options(source, tags, job, host, time, clock,
                        listeners, parent, cachedParent, pool, parallelism, memoryBudget, Version.tool(), lockWait,
                        stallTimeout)).run();
                done = true;
            } finally {
                cachedParent.ifPresent(ParentCache.Reader::close);
                if (executor == null) {
                    // After a failure, chunks still queued are dropped and stuck workers interrupted.
                    if (done) {
                        pool.shutdown();
                    } else {
                        pool.shutdownNow();
                    }
                }
            }
            List<Snapshot> forgotten = retention == null ? List.of() : applyRetention(repo, snapshot);
            return new BackupResult(snapshot, Duration.ofNanos(System.nanoTime() - start), forgotten);
        } finally {
            if (repository == null) {
                repo.close();
            }
        }
    }

    private Repository openOrInit() {
        if (Repository.exists(sink)) {
            return Repository.open(sink);
        }
        LOG.info("no repository at {}: creating one ({} layout)", sink.describe(), settings.layout());
        return Repository.init(sink, settings);
    }

    private void checkTransformers(Repository repo) {
        if (!transformersGiven) {
            return;
        }
        List<String> wanted = settings.transformers().stream().map(t -> t.name() + t.parameters()).toList();
        List<String> actual = repo.transformers().stream().map(t -> t.name() + t.parameters()).toList();
        if (!wanted.equals(actual)) {
            throw new InvalidInputException("the repository at " + repo.location() + " stores data with " + actual
                    + ", but this pipeline asks for " + wanted + ": a repository's transformers are fixed when it is created;"
                    + " drop transform(...) or use a new repository");
        }
    }

    /**
     * The latest snapshot of the same source on the same host: its unchanged entries need not be read again. A reader
     * takes only snapshots readers wrote, so that no writer key can make a reader's backup reuse blobs it did not read
     * itself. (A writer cannot read manifests: {@link #run} gives it its local parent cache instead.)
     */
    private Optional<Manifest> parent(Repository repo) {
        // heads() read every snapshot object (or took it from the local cache, which holds only readers' snapshots),
        // so whether a writer wrote each is known; snapshots the keys do not trust are not among them
        // the source's id once, not per snapshot: a Source may build it on every call (DirectorySource joins its roots)
        com.mintreplica.backup.core.source.SourceId id = source.id();
        return repo.store().heads().stream()
                .filter(m -> m.snapshot().source().equals(id) && m.snapshot().host().equals(host))
                .filter(m -> !repo.store().writtenByWriter(m.snapshot().id()))
                .max(Comparator.comparing((Manifest m) -> m.snapshot().time()).thenComparing(m -> m.snapshot().id()))
                // a tree snapshot's head is all of it; a flat one's entries are read now
                .map(m -> m.isTree() ? m : repo.store().manifest(m.snapshot().id()));
    }

    private List<Snapshot> applyRetention(Repository repo, Snapshot created) {
        List<Snapshot> group = repo.snapshots().stream()
                // One job's history never removes another's: a daily and an hourly job of one database are two groups.
                .filter(s -> s.source().equals(created.source()) && s.host().equals(created.host())
                        && s.job().equals(created.job()))
                .toList();
        RetentionDecision decision = retention.apply(group);
        List<Snapshot> forgotten = new ArrayList<>();
        for (Snapshot s : decision.removed()) {
            if (s.id().equals(created.id())) {
                continue; // never undo the backup that just ran
            }
            repo.forget(s);
            forgotten.add(s);
            LOG.info("retention: forgot snapshot {} of {}", s.id(), s.source());
        }
        return forgotten;
    }

    private static String localHost() {
        return Hosts.local();
    }

    /** Builds a {@link BackupPipeline}; {@link #build()} checks that the required parts are there. */
    public static final class Builder {
        private Source source;
        private Repository repository;
        private Sink sink;
        private RepositorySettings settings = RepositorySettings.defaults();
        private boolean transformersGiven;
        private RetentionPolicy retention;
        private final Set<String> tags = new TreeSet<>();
        private String job;
        private String host;
        private Instant time;
        private Clock clock = Clock.systemUTC();
        private final List<BackupListener> listeners = new ArrayList<>();
        private ExecutorService executor;
        private int parallelism = Runtime.getRuntime().availableProcessors() + 1;
        private long memoryBudget = defaultMemoryBudget();
        private boolean useParent = true;
        private Duration lockWait = DEFAULT_LOCK_WAIT;
        private Duration stallTimeout = Repository.DEFAULT_STALL_TIMEOUT;

        Builder() {
        }

        /** What to back up. Required. */
        public Builder source(Source value) {
            this.source = value;
            return this;
        }

        /**
         * The transformer chain, in order (default: zstd level 3). Used when the pipeline creates the repository; an
         * existing repository must already use the same chain.
         */
        public Builder transform(Transformer... chain) {
            this.settings = settings.withTransformers(Arrays.asList(chain));
            this.transformersGiven = true;
            return this;
        }

        /** The layout, used when the pipeline creates the repository (default: chunked). */
        public Builder layout(Layout value) {
            this.settings = settings.withLayout(value);
            return this;
        }

        /** All settings for a repository the pipeline creates. */
        public Builder settings(RepositorySettings value) {
            this.settings = value;
            return this;
        }

        /** An open repository. The pipeline does not close it. */
        public Builder to(Repository value) {
            this.repository = value;
            this.sink = null;
            return this;
        }

        /** A Sink: its repository is opened for each run, and created on the first if there is none. */
        public Builder to(Sink value) {
            this.sink = value;
            this.repository = null;
            return this;
        }

        /** Applied after each backup to the snapshots of the same source, host and job. */
        public Builder retention(RetentionPolicy value) {
            this.retention = value;
            return this;
        }

        public Builder tags(String... values) {
            for (String t : values) {
                if (t == null || t.isBlank() || t.contains(",")) {
                    throw new InvalidInputException("tag '" + t + "' is empty or contains a comma");
                }
                tags.add(t);
            }
            return this;
        }

        /** The job name recorded in the snapshot. */
        public Builder job(String value) {
            this.job = value;
            return this;
        }

        /** The host recorded in the snapshot (default: this machine's host name). */
        public Builder host(String value) {
            this.host = value;
            return this;
        }

        /** The snapshot's time, instead of the clock's (for imports and tests). */
        public Builder time(Instant value) {
            this.time = value;
            return this;
        }

        public Builder clock(Clock value) {
            this.clock = value;
            return this;
        }

        public Builder listener(BackupListener value) {
            listeners.add(value);
            return this;
        }

        /**
         * Runs hashing, compression and uploads on {@code value}. The pipeline does not shut it down. By default each
         * run starts its own threads and stops them when it ends.
         */
        public Builder executor(ExecutorService value) {
            this.executor = value;
            return this;
        }

        /**
         * Worker threads when the pipeline runs its own (default: processors + 1). With {@link #executor} given, the
         * threads of it a run may use: it sizes how far the reader reads ahead of them.
         */
        public Builder parallelism(int value) {
            if (value < 1) {
                throw new InvalidInputException("parallelism must be at least 1: " + value);
            }
            this.parallelism = value;
            return this;
        }

        /**
         * Bytes of content held in flight between reading and storing (default: an eighth of the heap, 16 to 128 MiB).
         * Floors of two packs and two of the largest chunks keep packs full, but the budgets (with the workers'
         * encodings) never take more than two fifths of the heap's maximum less the chunker's buffer: in a smaller heap
         * packs come out shorter instead. With the default chunk and pack sizes a backup of large files of random bytes
         * finishes in a 64 MiB heap.
         */
        public Builder memoryBudget(long bytes) {
            this.memoryBudget = bytes;
            return this;
        }

        /** Read every entry, even those unchanged since the parent snapshot. */
        public Builder noParent() {
            this.useParent = false;
            return this;
        }

        /**
         * How long a run waits while a prune holds the repository exclusively (default 10 minutes); then it fails
         * with a {@link ConflictException} naming the prune, and no snapshot is committed.
         */
        public Builder lockWait(Duration value) {
            if (value == null || value.isNegative()) {
                throw new InvalidInputException("lockWait must be zero or positive: " + value);
            }
            this.lockWait = value;
            return this;
        }

        /**
         * How long a run may make no progress (no bytes read from the source or moved to the store, no entry done)
         * before it is abandoned with a {@link StallException} that says what each stage waits for (default
         * {@link Repository#DEFAULT_STALL_TIMEOUT}, 10 minutes; {@link Duration#ZERO}: wait forever). An abandoned run
         * commits nothing and releases its lease, and returns even when a Sink call never does. Time a Source spends
         * preparing its next entry, and waiting for a prune's lock ({@link #lockWait}), does not count.
         */
        public Builder stallTimeout(Duration value) {
            if (value == null || value.isNegative()) {
                throw new InvalidInputException("stallTimeout must be zero (off) or positive: " + value);
            }
            this.stallTimeout = value;
            return this;
        }

        public BackupPipeline build() {
            if (source == null) {
                throw new InvalidInputException("a backup pipeline needs a source: call source(...)");
            }
            if (repository == null && sink == null) {
                throw new InvalidInputException("a backup pipeline needs a repository: call to(repository) or to(sink)");
            }
            return new BackupPipeline(this);
        }

        private static long defaultMemoryBudget() {
            long eighth = Runtime.getRuntime().maxMemory() / 8;
            return Math.max(16L << 20, Math.min(128L << 20, eighth));
        }
    }
}
