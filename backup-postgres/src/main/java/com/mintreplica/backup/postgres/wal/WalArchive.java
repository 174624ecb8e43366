package com.mintreplica.backup.postgres.wal;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.ConflictException;
import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.NotFoundException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.ObjectInfo;
import com.mintreplica.backup.core.sink.ObjectKind;
import com.mintreplica.backup.core.sink.ObjectLockedException;
import com.mintreplica.backup.core.sink.RepositoryObjects;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.postgres.wal.internal.WalHeader;
import com.mintreplica.backup.postgres.wal.internal.WalNames;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The continuous WAL archive of one PostgreSQL cluster in a repository: what {@code archive_command} pushes and
 * {@code restore_command} fetches. Each WAL file is one object (not a snapshot, not chunked: WAL does not
 * deduplicate), encoded by the repository's chain as a single-object entry is, so {@code zstd -d} (after
 * {@code gpg --decrypt} when encrypted) opens it without mint-backup:
 * <pre>
 * wal/&lt;cluster&gt;/&lt;system id&gt;/archive.info                          segment size, first PostgreSQL magic (plain text)
 * wal/&lt;cluster&gt;/&lt;system id&gt;/&lt;timeline+log&gt;/&lt;segment&gt;-&lt;sha256&gt;-&lt;time&gt;.zst[.gpg]
 * wal/&lt;cluster&gt;/&lt;system id&gt;/&lt;timeline&gt;.history-&lt;sha256&gt;-&lt;time&gt;.zst[.gpg]
 * </pre>
 * The name records the plaintext's SHA-256 (checked on every fetch) and the file's last-modified time at push (an
 * upper bound of its last commit), so the recoverable window is known from a listing, also in a copy of the bucket.
 * Once the repository has writers, a signature follows the time ({@code -<signature>}, see
 * {@link Repository#objectName}): a reader signs with the repository's authority key, a writer with its own. Fetch,
 * list, verify and copy use only objects the repository trusts ({@link Repository#untrustedObject}): so a writer key,
 * revoked or not, cannot plant WAL that a recovery replays; verify names the others.
 *
 * <p>A push returns once the object is stored as the Sink stores (a local directory: file and directory fsynced; S3 and
 * GCS: the upload completed): only then may PostgreSQL recycle the segment. Pushing a file archived already with the
 * same content does nothing; with other content it is refused ({@link ConflictException}), never overwritten.
 * Safe for concurrent use by several threads.
 */
public final class WalArchive {
    private static final Logger LOG = LoggerFactory.getLogger(WalArchive.class);
    private static final Pattern CLUSTER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,99}");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);
    private static final Pattern OBJECT = Pattern.compile(
            "(?:([0-9A-F]{16})/)?([0-9A-F]{8}(?:[0-9A-F]{16}(?:\\.partial|\\.[0-9A-F]{8}\\.backup)?|\\.history))"
                    + "-([0-9a-f]{64})-([0-9]{8}T[0-9]{9}Z)(?:-([A-Za-z0-9_-]+))?(\\..*)?");
    private static final String INFO = "archive.info";

    private final Repository repository;
    private final String cluster;
    private final Long system;
    private final Map<Long, Long> segmentSizes = new ConcurrentHashMap<>();

    private WalArchive(Repository repository, String cluster, Long system) {
        this.repository = repository;
        this.cluster = cluster;
        this.system = system;
    }

    /**
     * The WAL archive of the cluster the operator calls {@code cluster} (a job's name: letters, digits, {@code . _ -})
     * in {@code repository}. Nothing is read or written until used.
     */
    public static WalArchive open(Repository repository, String cluster) {
        java.util.Objects.requireNonNull(repository, "repository");
        if (cluster == null || !CLUSTER.matcher(cluster).matches()) {
            throw new InvalidInputException("'" + cluster + "' cannot name a WAL archive: use letters, digits, '.', '_'"
                    + " and '-' (at most 100), e.g. the job's name");
        }
        return new WalArchive(repository, cluster, null);
    }

    /**
     * This archive for the cluster of system identifier {@code systemIdentifier} (a restored copy keeps it; a new
     * initdb gets a new one). Reads ({@link #fetch}, {@link #list}, {@link #verify}, {@link #expire}) use the only
     * system archived under the cluster's name unless told which; pushes take it from each segment's header.
     */
    public WalArchive system(long systemIdentifier) {
        return new WalArchive(repository, cluster, systemIdentifier);
    }

    /** The cluster name. */
    public String cluster() {
        return cluster;
    }

    /** The repository. */
    public Repository repository() {
        return repository;
    }

    /** The names of the clusters that have a WAL archive in {@code repository}, sorted. */
    public static List<String> clusters(Repository repository) {
        TreeSet<String> names = new TreeSet<>();
        try (Stream<ObjectInfo> s = repository.sink().list(RepositoryObjects.WAL_PREFIX)) {
            s.forEach(o -> {
                String rest = o.name().substring(RepositoryObjects.WAL_PREFIX.length());
                int slash = rest.indexOf('/');
                if (slash > 0 && CLUSTER.matcher(rest.substring(0, slash)).matches()) {
                    names.add(rest.substring(0, slash));
                }
            });
        } catch (IOException e) {
            throw new BackupException("cannot list the WAL archives in " + repository.location() + ": " + e.getMessage(), e);
        }
        return List.copyOf(names);
    }

    /** The system identifiers archived under this cluster name, in ascending order. */
    public List<Long> systemIdentifiers() {
        TreeSet<Long> ids = new TreeSet<>();
        try (Stream<ObjectInfo> s = sink().list(clusterPrefix())) {
            s.forEach(o -> {
                String rest = o.name().substring(clusterPrefix().length());
                int slash = rest.indexOf('/');
                if (slash > 0) {
                    try {
                        ids.add(Long.parseUnsignedLong(rest.substring(0, slash)));
                    } catch (NumberFormatException ignored) {
                        // not ours
                    }
                }
            });
        } catch (IOException e) {
            throw new BackupException("cannot list the WAL archive '" + cluster + "' in " + repository.location() + ": "
                    + e.getMessage(), e);
        }
        return List.copyOf(ids);
    }

    // ---- push

    /**
     * Archives the WAL file {@code file} (named as in {@code pg_wal}): a segment, a {@code .partial} segment, a backup
     * history file or a timeline history file. Returns once it is durable in the repository. A {@code .partial}
     * segment with other content than the archived one supersedes it (it grows while it is streamed).
     *
     * @return the archived file, and whether this call stored it (false: it was archived already with this content)
     * @throws ConflictException when a file of that name is archived with other content (both hashes named)
     * @throws InvalidInputException when the file is not a WAL file of its name
     */
    public Pushed push(Path file) {
        String name = file.getFileName().toString();
        WalNames.Parsed parsed = WalNames.require(name);
        try {
            long sysid;
            long segmentSize;
            if (parsed.type() == WalFile.Type.SEGMENT || parsed.type() == WalFile.Type.PARTIAL) {
                WalHeader header = WalHeader.read(file, parsed);
                sysid = header.systemIdentifier();
                segmentSize = header.segmentSize();
                if (system != null && system != sysid) {
                    throw new InvalidInputException("'" + file + "' belongs to the cluster of system identifier "
                            + Long.toUnsignedString(sysid) + ", not " + Long.toUnsignedString(system)
                            + ": is archive_command pointed at the right archive?");
                }
                long size = Files.size(file);
                if (parsed.type() == WalFile.Type.SEGMENT && size != segmentSize) {
                    throw new InvalidInputException("'" + file + "' is " + size + " bytes long, but its cluster's segments are "
                            + segmentSize + " bytes: it is not a complete segment");
                }
                ensureInfo(sysid, segmentSize, header.magic());
            } else {
                sysid = systemOf(file);
                segmentSize = segmentSize(sysid);
            }
            Instant time = Files.getLastModifiedTime(file).toInstant();
            String sha = sha256(file);
            String prefix = systemPrefix(sysid) + directoryOf(parsed) + name + "-";
            Optional<WalFile> existing = find(prefix, sysid, segmentSize).trusted();
            if (existing.isPresent()) {
                if (existing.get().sha256().equals(sha)) {
                    LOG.debug("{} is archived already as {}", name, existing.get().object());
                    return new Pushed(existing.get(), false);
                }
                if (parsed.type() == WalFile.Type.PARTIAL) {
                    return pushPartial(file, parsed, sha, time, prefix, sysid, segmentSize);
                }
                throw new ConflictException("WAL file " + name + " is archived already with other content: the archive's"
                        + " copy '" + existing.get().object() + "' has SHA-256 " + existing.get().sha256() + ", '" + file
                        + "' has " + sha + ". Nothing was overwritten. Two clusters with the same system identifier archive"
                        + " to one place (a restored copy that was started without a new timeline?): give the copy"
                        + " its own cluster name, and keep the archive's copy");
            }
            String base = prefix + sha + "-" + TIME.format(time);
            Stored stored = store(file, base, sha);
            return new Pushed(fileOf(parsed, sha, time, stored.object, stored.size, segmentSize), stored.created);
        } catch (IOException e) {
            throw new BackupException("cannot archive '" + file + "' to " + repository.location() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A {@code .partial} segment grows while it is streamed (wal-receive pushes it again as it fills): a newer one
     * supersedes the archived one. The new object is stored first, then the older ones are removed (a writer, which
     * deletes nothing, leaves them: {@link #fetch} takes the newest).
     */
    private Pushed pushPartial(Path file, WalNames.Parsed parsed, String sha, Instant time, String prefix, long sysid,
                               long segmentSize) throws IOException {
        Stored put = store(file, prefix + sha + "-" + TIME.format(time), sha);
        String object = put.object;
        String base = systemPrefix(sysid);
        try (Stream<ObjectInfo> s = sink().list(prefix)) {
            for (ObjectInfo o : (Iterable<ObjectInfo>) s::iterator) {
                if (!o.name().equals(object) && parseObject(o, base, segmentSize).isPresent()) {
                    deleteQuietly(o.name());
                }
            }
        }
        return new Pushed(fileOf(parsed, sha, time, object, put.size, segmentSize), put.created);
    }

    private record Stored(String object, long size, boolean created) {
    }

    /**
     * Stores {@code file} under the name the repository gives {@code base} (signed once it has writers). When it was
     * stored unsigned and the repository got writers meanwhile (the first writer key exported while this push ran),
     * the unsigned copy is not trusted: it is stored again, signed, while the file is still here to read.
     */
    private Stored store(Path file, String base, String sha) throws IOException {
        String object = repository.objectName(base);
        boolean created = put(file, object, sha);
        String signed = repository.objectName(base);
        if (!signed.equals(object)) {
            LOG.info("{} was stored unsigned as the repository got writers: storing it signed as {}", file, signed);
            object = signed;
            created = put(file, object, sha) || created;
        }
        long size = sink().stat(object).map(ObjectInfo::size).orElse(-1L);
        return new Stored(object, size, created);
    }

    private boolean put(Path file, String object, String sha) throws IOException {
        MessageDigest digest = newDigest();
        boolean created;
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            created = repository.putObject(object, in, ObjectKind.WAL);
        }
        if (created && !HexFormat.of().formatHex(digest.digest()).equals(sha)) {
            deleteQuietly(object);
            throw new ConflictException("'" + file + "' changed while it was archived: archive it again");
        }
        return created;
    }

    /**
     * What {@link #push} did.
     *
     * @param file the archived file
     * @param stored true if this push stored it, false if it was archived already with the same content
     */
    public record Pushed(WalFile file, boolean stored) {
    }

    /**
     * Removes the archived {@code .partial} copies of segment {@code segmentName} ({@code 000000010000000000000003}),
     * once the whole segment is archived: they are superseded. Returns how many were removed.
     */
    public int removePartials(String segmentName) {
        WalNames.Parsed parsed = WalNames.require(segmentName);
        if (parsed.type() != WalFile.Type.SEGMENT) {
            throw new InvalidInputException("'" + segmentName + "' is not a WAL segment name");
        }
        long sysid = resolveSystem(null);
        if (sysid == 0) {
            return 0;
        }
        String prefix = systemPrefix(sysid) + directoryOf(parsed) + segmentName + ".partial-";
        List<String> objects = new ArrayList<>();
        try (Stream<ObjectInfo> s = sink().list(prefix)) {
            s.forEach(o -> objects.add(o.name()));
        } catch (IOException e) {
            throw new BackupException("cannot list the WAL archive '" + cluster + "' in " + repository.location() + ": "
                    + e.getMessage(), e);
        }
        objects.forEach(this::deleteQuietly);
        return objects.size();
    }

    // ---- fetch

    /**
     * Fetches the archived WAL file {@code walFileName} into {@code destination} (written to a temporary file beside
     * it, checked against the SHA-256 its object name records, then renamed over it).
     *
     * @return false when the archive has no such file (restore_command then exits 1: "not there")
     * @throws CorruptDataException when the stored object does not decode or its content is not what was archived
     *     (the object is named)
     */
    public boolean fetch(String walFileName, Path destination) {
        WalNames.Parsed parsed = WalNames.require(walFileName);
        long sysid = resolveSystem(destination);
        if (sysid == 0) {
            return false;
        }
        long segmentSize = segmentSize(sysid);
        Optional<WalFile> found;
        List<Found> untrusted = new ArrayList<>();
        try {
            Candidates c = find(systemPrefix(sysid) + directoryOf(parsed) + walFileName + "-", sysid, segmentSize);
            found = c.trusted();
            untrusted.addAll(c.untrusted());
        } catch (IOException e) {
            throw new BackupException("cannot list the WAL archive '" + cluster + "' in " + repository.location() + ": "
                    + e.getMessage(), e);
        }
        if (found.isEmpty() && parsed.type() == WalFile.Type.SEGMENT) {
            // The segment wal-receive was filling when the source stopped: its newest .partial (the segment's size,
            // zeros after the streamed WAL) is the end of the archived WAL, as with pg_receivewal's .partial files.
            try {
                Candidates c = find(systemPrefix(sysid) + directoryOf(parsed) + walFileName + ".partial-", sysid,
                        segmentSize);
                found = c.trusted();
                untrusted.addAll(c.untrusted());
            } catch (IOException e) {
                throw new BackupException("cannot list the WAL archive '" + cluster + "' in " + repository.location()
                        + ": " + e.getMessage(), e);
            }
            found.ifPresent(p -> LOG.info("serving {} from its streamed partial copy {}", walFileName, p.object()));
        }
        if (found.isEmpty() && !untrusted.isEmpty()) {
            // Not "not archived": something claims to be this file, and replaying it could change the database
            throw new CorruptDataException("WAL file " + walFileName + " is archived only as objects that are not trusted,"
                    + " so it is not fetched: " + untrusted.stream().map(Found::problem).toList());
        }
        if (found.isEmpty()) {
            return false;
        }
        untrusted.forEach(u -> LOG.warn("{}", u.problem()));
        WalFile f = found.get();
        Path dir = destination.toAbsolutePath().getParent();
        Path temp = dir.resolve("." + destination.getFileName() + ".mint-" + ProcessHandle.current().pid() + "-"
                + Thread.currentThread().getId() + ".tmp");
        try {
            MessageDigest digest = newDigest();
            try (InputStream in = repository.openObject(f.object());
                 OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                         StandardOpenOption.WRITE)) {
                DigestInputStream checked = new DigestInputStream(in, digest);
                try {
                    checked.transferTo(out);
                } catch (IOException | RuntimeException e) {
                    if (e instanceof BackupException be && !(be instanceof CorruptDataException)) {
                        throw be;
                    }
                    throw new CorruptDataException("archived WAL file " + walFileName + " (object '" + f.object()
                            + "') is damaged: it does not decode (" + e.getMessage() + ")", e);
                }
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(f.sha256())) {
                throw new CorruptDataException("archived WAL file " + walFileName + " (object '" + f.object()
                        + "') is damaged: its content has SHA-256 " + actual + ", it was archived with " + f.sha256());
            }
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(temp, destination, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException e) {
            throw new BackupException("cannot fetch WAL file " + walFileName + " from " + repository.location() + " to '"
                    + destination + "': " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    // ---- listing

    /**
     * Every archived file of the system, ordered by timeline, then start LSN, then name. Objects that are not trusted
     * (unsigned or signed by a revoked writer after the repository got writers: see {@link Repository#untrustedObject})
     * are left out; {@link #verify} names them.
     */
    public List<WalFile> list() {
        long sysid = resolveSystem(null);
        return sysid == 0 ? List.of() : list(sysid);
    }

    private List<WalFile> list(long sysid) {
        return listAll(sysid).stream().filter(f -> f.untrusted().isEmpty()).map(Found::file).toList();
    }

    /** Every archived object of the system, trusted or not, in {@link #ORDER}. */
    private List<Found> listAll(long sysid) {
        long segmentSize = segmentSize(sysid);
        String prefix = systemPrefix(sysid);
        List<ObjectInfo> objects;
        try (Stream<ObjectInfo> s = sink().list(prefix)) {
            objects = s.toList();
        } catch (IOException e) {
            throw new BackupException("cannot list the WAL archive '" + cluster + "' in " + repository.location() + ": "
                    + e.getMessage(), e);
        }
        List<Found> files = new ArrayList<>();
        objects.forEach(o -> parse(o, prefix, segmentSize).ifPresent(files::add));
        files.sort(Comparator.comparing(Found::file, ORDER));
        return files;
    }

    private static final Comparator<WalFile> ORDER = Comparator.comparingInt(WalFile::timeline)
            .thenComparing(WalFile::startLsn, Long::compareUnsigned).thenComparing(WalFile::name);

    // ---- verify

    /**
     * Checks the chain of each timeline: every segment between a timeline's oldest and newest archived one must be
     * there; a timeline after the first must have its history file. With {@code readData}, every object is read and
     * checked against its hash as a fetch would. Needs a reader's key to read history files and data.
     */
    public WalVerifyReport verify(boolean readData) {
        long sysid = resolveSystem(null);
        if (sysid == 0) {
            return new WalVerifyReport(0, List.of(), List.of(), List.of(), 0);
        }
        long segmentSize = segmentSize(sysid);
        List<Found> all = listAll(sysid);
        List<WalFile> files = all.stream().filter(f -> f.untrusted().isEmpty()).map(Found::file).toList();
        List<String> problems = new ArrayList<>();
        all.stream().filter(f -> f.untrusted().isPresent()).forEach(f -> problems.add(f.problem()));
        long checked = 0;
        if (readData) {
            for (WalFile f : files) {
                try {
                    checkContent(f);
                    checked++;
                } catch (BackupException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        Map<Integer, History> histories = histories(files, problems);
        Map<Integer, List<WalFile>> byTimeline = new TreeMap<>();
        files.stream().filter(f -> f.type() == WalFile.Type.SEGMENT)
                .forEach(f -> byTimeline.computeIfAbsent(f.timeline(), t -> new ArrayList<>()).add(f));
        List<WalTimeline> timelines = new ArrayList<>();
        List<WalGap> allGaps = new ArrayList<>();
        TreeSet<Integer> ids = new TreeSet<>(byTimeline.keySet());
        ids.addAll(histories.keySet());
        for (int tl : ids) {
            List<WalFile> segs = byTimeline.getOrDefault(tl, List.of());
            List<WalGap> gaps = new ArrayList<>();
            long previous = -1;
            for (WalFile f : segs) {
                long seq = Long.divideUnsigned(f.startLsn(), segmentSize);
                if (previous >= 0 && seq > previous + 1) {
                    long count = seq - previous - 1;
                    gaps.add(new WalGap(tl, WalNames.segmentOfSequence(tl, previous + 1, segmentSize),
                            WalNames.segmentOfSequence(tl, seq - 1, segmentSize), count, (previous + 1) * segmentSize,
                            seq * segmentSize));
                }
                previous = seq;
            }
            History h = histories.get(tl);
            if (tl > 1 && h == null && !segs.isEmpty()) {
                problems.add("timeline " + tl + " has archived segments but its history file " + String.format("%08X", tl)
                        + ".history is not archived: a restore cannot follow it from its parent");
            }
            allGaps.addAll(gaps);
            timelines.add(new WalTimeline(tl, h == null ? 0 : h.parent, h == null ? -1 : h.switchLsn,
                    segs.isEmpty() ? -1 : segs.get(0).startLsn(), segs.isEmpty() ? -1 : segs.get(segs.size() - 1).endLsn(),
                    segs.size(), segs.isEmpty() ? null : segs.get(0).time(),
                    segs.isEmpty() ? null : segs.get(segs.size() - 1).time(), gaps));
        }
        return new WalVerifyReport(sysid, timelines, allGaps, problems, checked);
    }

    /**
     * The timelines of the archive with their parents and switch points and gaps, without reading segments: the same
     * as {@code verify(false).timelines()}.
     */
    public List<WalTimeline> timelines() {
        return verify(false).timelines();
    }

    // ---- expire

    /**
     * Removes what recovery from {@code lsn} on {@code timeline} does not need: segments (and backup history files)
     * of that timeline and of its ancestors that end at or before {@code lsn}. Everything from {@code lsn} on, the
     * timeline's descendants, other branches and every timeline history file are kept. A caller that retains several
     * base backups calls this with the oldest one's start. Objects the store refuses to delete (Object Lock) are kept
     * and logged.
     *
     * @return the removed files (with {@code dryRun}: those that would be)
     */
    public List<WalFile> expire(int timeline, long lsn, boolean dryRun) {
        long sysid = resolveSystem(null);
        if (sysid == 0) {
            return List.of();
        }
        List<WalFile> files = list(sysid);
        List<String> problems = new ArrayList<>();
        Map<Integer, History> histories = histories(files, problems);
        TreeSet<Integer> lineage = new TreeSet<>();
        lineage.add(timeline);
        History h = histories.get(timeline);
        if (h != null) {
            lineage.addAll(h.ancestors);
        } else if (timeline > 1) {
            throw new NotFoundException("the history file of timeline " + timeline + " is not in the WAL archive '"
                    + cluster + "': cannot tell its ancestors, so nothing was removed");
        }
        List<WalFile> removed = new ArrayList<>();
        for (WalFile f : files) {
            if (f.type() == WalFile.Type.HISTORY || !lineage.contains(f.timeline())) {
                continue;
            }
            boolean before = f.type() == WalFile.Type.BACKUP ? Long.compareUnsigned(f.startLsn(), lsn) < 0
                    : Long.compareUnsigned(f.endLsn(), lsn) <= 0;
            if (!before) {
                continue;
            }
            if (!dryRun) {
                try {
                    sink().delete(f.object());
                } catch (ObjectLockedException e) {
                    LOG.warn("kept {}: the store refuses to delete it ({})", f.object(), e.getMessage());
                    continue;
                } catch (IOException e) {
                    throw new BackupException("cannot remove '" + f.object() + "' from " + repository.location() + ": "
                            + e.getMessage(), e);
                }
            }
            removed.add(f);
        }
        return removed;
    }

    // ---- copy

    /**
     * Copies every archived file of every system of this cluster that {@code target} lacks into the same cluster's
     * archive there (a second bucket): each is read, checked against its hash, and stored encoded for the target's
     * chain and keys, under the same name, hash and time. Files the target has (same name and hash) are skipped; a file
     * the target has with other content is an error naming both. Needs a reader's key here; a writer's is enough there.
     *
     * @return the files copied
     */
    public List<WalFile> copyTo(Repository target) {
        List<WalFile> copied = new ArrayList<>();
        for (long sysid : system != null ? List.of(system) : systemIdentifiers()) {
            long segmentSize = segmentSize(sysid);
            WalArchive there = new WalArchive(target, cluster, sysid);
            Map<String, WalFile> theirs = new java.util.HashMap<>();
            there.list(sysid).forEach(f -> theirs.merge(f.name(), f, (a, b) -> a.time().isAfter(b.time()) ? a : b));
            String info = systemPrefix(sysid) + INFO;
            try {
                if (sink().stat(info).isPresent() && target.sink().stat(info).isEmpty()) {
                    try (InputStream in = sink().get(info)) {
                        byte[] bytes = in.readAllBytes();
                        target.sink().put(info, new ByteArrayInputStream(bytes), bytes.length, ObjectKind.WAL);
                    }
                }
                for (Found found : listAll(sysid)) {
                    if (found.untrusted().isPresent()) {
                        LOG.warn("not copied: {}", found.problem());
                        continue;
                    }
                    WalFile f = found.file();
                    WalFile have = theirs.get(f.name());
                    if (have != null && have.sha256().equals(f.sha256())) {
                        continue;
                    }
                    if (have != null && f.type() != WalFile.Type.PARTIAL) {
                        throw new ConflictException("WAL file " + f.name() + " is in the target " + target.location()
                                + " with other content (" + have.sha256() + ", here " + f.sha256() + "): nothing was"
                                + " overwritten; find out which one is right before copying again");
                    }
                    String object = target.objectName(found.base()); // signed for the target, as a push there would be
                    MessageDigest digest = newDigest();
                    try (InputStream in = new DigestInputStream(repository.openObject(f.object()), digest)) {
                        target.putObject(object, in, ObjectKind.WAL);
                    } catch (IOException | RuntimeException e) {
                        if (e instanceof BackupException be && !(e instanceof CorruptDataException)) {
                            throw be;
                        }
                        throw new CorruptDataException("archived WAL file " + f.name() + " (object '" + f.object()
                                + "') is damaged: it does not decode (" + e.getMessage() + ")", e);
                    }
                    String actual = HexFormat.of().formatHex(digest.digest());
                    if (!actual.equals(f.sha256())) {
                        try {
                            target.sink().delete(object);
                        } catch (IOException ignored) {
                            // reported below
                        }
                        throw new CorruptDataException("archived WAL file " + f.name() + " (object '" + f.object()
                                + "') is damaged: its content has SHA-256 " + actual + ", it was archived with "
                                + f.sha256() + "; it was not copied");
                    }
                    copied.add(f);
                }
            } catch (IOException e) {
                throw new BackupException("cannot copy the WAL archive '" + cluster + "' to " + target.location() + ": "
                        + e.getMessage(), e);
            }
        }
        return copied;
    }

    // ---- LSNs

    /** An LSN as PostgreSQL writes it: {@code 0/3000028}. */
    public static String lsnText(long lsn) {
        return WalNames.lsnText(lsn);
    }

    /** Parses an LSN as PostgreSQL writes it ({@code 0/3000028}). */
    public static long parseLsn(String text) {
        return WalNames.parseLsn(text);
    }

    /** Whether {@code name} is the name of a WAL file this archive stores (segment, partial, backup or history file). */
    public static boolean isWalFileName(String name) {
        return name != null && WalNames.parse(name).isPresent();
    }

    /** The segment size of the archived system (from {@code archive.info}; 16 MiB when it is not recorded). */
    public long segmentSize() {
        long sysid = resolveSystem(null);
        return sysid == 0 ? WalNames.DEFAULT_SEGMENT_SIZE : segmentSize(sysid);
    }

    @Override
    public String toString() {
        return "WAL archive '" + cluster + "' in " + repository.location();
    }

    // ---- internals

    private Sink sink() {
        return repository.sink();
    }

    private String clusterPrefix() {
        return RepositoryObjects.WAL_PREFIX + cluster + "/";
    }

    private String systemPrefix(long sysid) {
        return clusterPrefix() + Long.toUnsignedString(sysid) + "/";
    }

    private static String directoryOf(WalNames.Parsed parsed) {
        return parsed.type() == WalFile.Type.HISTORY ? "" : parsed.directory() + "/";
    }

    /** The system to read: the one given, else the only one archived; 0 when nothing is archived. */
    private long resolveSystem(Path destination) {
        if (system != null) {
            return system;
        }
        List<Long> ids = systemIdentifiers();
        if (ids.size() == 1) {
            return ids.get(0);
        }
        if (ids.isEmpty()) {
            return 0;
        }
        if (destination != null) {
            // restore_command runs in the data directory; %p is pg_wal/RECOVERYXLOG
            Path parent = destination.toAbsolutePath().getParent();
            for (Path dir : new Path[] {parent == null ? null : parent.getParent(), parent}) {
                try {
                    Optional<Long> id = dir == null ? Optional.empty() : WalHeader.systemIdentifierOfDataDirectory(dir);
                    if (id.isPresent()) {
                        return id.get();
                    }
                } catch (IOException ignored) {
                    // try the next
                }
            }
        }
        throw new InvalidInputException("the WAL archive '" + cluster + "' in " + repository.location() + " holds WAL of"
                + " several clusters (system identifiers " + ids.stream().map(Long::toUnsignedString).toList()
                + "): say which (--system-id)");
    }

    private long systemOf(Path file) throws IOException {
        if (system != null) {
            return system;
        }
        Path pgWal = file.toAbsolutePath().getParent();
        if (pgWal != null && pgWal.getParent() != null) {
            Optional<Long> id = WalHeader.systemIdentifierOfDataDirectory(pgWal.getParent());
            if (id.isPresent()) {
                return id.get();
            }
        }
        List<Long> ids = systemIdentifiers();
        if (ids.size() == 1) {
            return ids.get(0);
        }
        throw new InvalidInputException("cannot tell which cluster '" + file + "' belongs to: a history file carries no"
                + " system identifier, there is no global/pg_control beside its pg_wal directory, and the WAL archive '"
                + cluster + "' holds " + (ids.isEmpty() ? "no segment yet" : "several clusters " + ids)
                + ": give the system identifier (--system-id)");
    }

    private long segmentSize(long sysid) {
        return segmentSizes.computeIfAbsent(sysid, id -> {
            String name = systemPrefix(id) + INFO;
            try (InputStream in = sink().get(name)) {
                Properties p = new Properties();
                p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
                return Long.parseLong(p.getProperty("segment-size", Long.toString(WalNames.DEFAULT_SEGMENT_SIZE)));
            } catch (com.mintreplica.backup.core.sink.NoSuchObjectException e) {
                return WalNames.DEFAULT_SEGMENT_SIZE;
            } catch (IOException e) {
                // Not "16 MiB": a cluster made with another --wal-segsize would then look for its segments under
                // the wrong names, and a restore_command would answer "not archived" for WAL that is.
                throw new BackupException("cannot read " + name + " of the WAL archive '" + cluster + "' in "
                        + repository.location() + ": " + e.getMessage(), e);
            } catch (NumberFormatException e) {
                throw new CorruptDataException(name + " of the WAL archive '" + cluster + "' in " + repository.location()
                        + " has no valid segment-size (" + e.getMessage() + "): write segment-size=<bytes> there", e);
            }
        });
    }

    /** Writes {@code archive.info} once (create-if-absent; plain text: nothing in it is secret). */
    private void ensureInfo(long sysid, long segmentSize, int magic) throws IOException {
        Long known = segmentSizes.get(sysid);
        if (known != null && known == segmentSize) {
            return;
        }
        String name = systemPrefix(sysid) + INFO;
        if (sink().stat(name).isEmpty()) {
            byte[] text = ("# mint-backup WAL archive of cluster '" + cluster + "'\nsystem-identifier="
                    + Long.toUnsignedString(sysid) + "\nsegment-size=" + segmentSize + "\nwal-page-magic="
                    + String.format("%04X", magic) + "\n").getBytes(StandardCharsets.UTF_8);
            try {
                if (sink().capabilities().contains(com.mintreplica.backup.core.sink.SinkCapability.ATOMIC_CREATE)) {
                    sink().putIfAbsent(name, new ByteArrayInputStream(text), text.length, ObjectKind.WAL);
                } else {
                    sink().put(name, new ByteArrayInputStream(text), text.length, ObjectKind.WAL);
                }
            } catch (java.nio.file.FileAlreadyExistsException ignored) {
                // another pusher wrote it
            }
            segmentSizes.put(sysid, segmentSize);
            return;
        }
        segmentSizes.remove(sysid);
        long recorded = segmentSize(sysid);
        if (recorded != segmentSize) {
            throw new InvalidInputException("the WAL archive '" + cluster + "' records segments of " + recorded
                    + " bytes for system " + Long.toUnsignedString(sysid) + ", but this segment's header says " + segmentSize);
        }
    }

    /**
     * An archived object: the file it holds, its name without signature and suffix (what a signature signs), and why it
     * is not trusted (empty: trusted).
     */
    private record Found(WalFile file, String base, Optional<String> untrusted) {
        String problem() {
            return "archived WAL file " + file.name() + " (object '" + file.object() + "') is not trusted: "
                    + untrusted.orElse("") + "; it is never fetched (delete it once you know where it came from)";
        }
    }

    /** The trusted file of a name, if any, and what is archived under that name but not trusted. */
    private record Candidates(Optional<WalFile> trusted, List<Found> untrusted) {
    }

    private Candidates find(String prefix, long sysid, long segmentSize) throws IOException {
        String base = systemPrefix(sysid);
        List<ObjectInfo> objects;
        try (Stream<ObjectInfo> s = sink().list(prefix)) {
            objects = s.toList();
        }
        List<WalFile> found = new ArrayList<>();
        List<Found> untrusted = new ArrayList<>();
        for (ObjectInfo o : objects) {
            parse(o, base, segmentSize).ifPresent(f -> {
                if (f.untrusted().isPresent()) {
                    untrusted.add(f);
                } else {
                    found.add(f.file());
                }
            });
        }
        return new Candidates(select(found), untrusted);
    }

    private static Optional<WalFile> select(List<WalFile> found) {
        if (found.size() > 1) {
            found.sort(Comparator.comparing(WalFile::time));
            if (found.get(0).type() == WalFile.Type.PARTIAL) {
                return Optional.of(found.get(found.size() - 1)); // the newest: a partial segment only grows
            }
            if (found.stream().map(WalFile::sha256).distinct().count() > 1) {
                throw new CorruptDataException("the WAL archive holds " + found.size() + " different copies of "
                        + found.get(0).name() + ": " + found.stream().map(WalFile::object).toList()
                        + "; keep the right one and delete the others");
            }
        }
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    private Optional<WalFile> parseObject(ObjectInfo o, String base, long segmentSize) {
        return parseName(o, base, segmentSize).map(Found::file);
    }

    /** The archived object {@code o}, checked against the repository's signatures. */
    private Optional<Found> parse(ObjectInfo o, String base, long segmentSize) {
        return parseName(o, base, segmentSize).map(f -> new Found(f.file(), f.base(),
                repository.untrustedObject(o, f.base())));
    }

    private Optional<Found> parseName(ObjectInfo o, String base, long segmentSize) {
        if (!o.name().startsWith(base)) {
            return Optional.empty();
        }
        Matcher m = OBJECT.matcher(o.name().substring(base.length()));
        if (!m.matches()) {
            return Optional.empty();
        }
        Optional<WalNames.Parsed> parsed = WalNames.parse(m.group(2));
        if (parsed.isEmpty() || (m.group(1) != null) == (parsed.get().type() == WalFile.Type.HISTORY)
                || (m.group(1) != null && !m.group(1).equals(parsed.get().directory()))) {
            return Optional.empty();
        }
        Instant time;
        try {
            time = Instant.from(TIME.parse(m.group(4)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        return Optional.of(new Found(fileOf(parsed.get(), m.group(3), time, o.name(), o.size(), segmentSize),
                o.name().substring(0, base.length() + m.end(4)), Optional.empty()));
    }

    private static WalFile fileOf(WalNames.Parsed p, String sha, Instant time, String object, long stored, long segmentSize) {
        long start = p.startLsn(segmentSize);
        long end = p.type() == WalFile.Type.SEGMENT || p.type() == WalFile.Type.PARTIAL ? start + segmentSize : start;
        return new WalFile(p.name(), p.type(), p.timeline(), start, end, time, sha, object, stored);
    }

    private void checkContent(WalFile f) {
        MessageDigest digest = newDigest();
        try (InputStream in = new DigestInputStream(repository.openObject(f.object()), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (CorruptDataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (e instanceof BackupException be && !(e instanceof CorruptDataException)
                    && !(e instanceof com.mintreplica.backup.core.NotFoundException)) {
                throw be;
            }
            throw new CorruptDataException("archived WAL file " + f.name() + " (object '" + f.object()
                    + "') is damaged: it does not decode (" + e.getMessage() + ")", e);
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equals(f.sha256())) {
            throw new CorruptDataException("archived WAL file " + f.name() + " (object '" + f.object()
                    + "') is damaged: its content has SHA-256 " + actual + ", it was archived with " + f.sha256());
        }
    }

    /** A timeline's history: its parent, where it branched, and all its ancestors. */
    private record History(int parent, long switchLsn, List<Integer> ancestors) {
    }

    private Map<Integer, History> histories(List<WalFile> files, List<String> problems) {
        Map<Integer, History> out = new LinkedHashMap<>();
        for (WalFile f : files) {
            if (f.type() != WalFile.Type.HISTORY) {
                continue;
            }
            if (!repository.canRead()) {
                out.put(f.timeline(), new History(0, -1, List.of()));
                continue;
            }
            try (InputStream in = repository.openObject(f.object())) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                List<Integer> ancestors = new ArrayList<>();
                int parent = 0;
                long switchLsn = -1;
                for (String line : text.split("\n")) {
                    String l = line.strip();
                    if (l.isEmpty() || l.startsWith("#")) {
                        continue;
                    }
                    String[] parts = l.split("\\s+");
                    if (parts.length < 2) {
                        continue;
                    }
                    parent = Integer.parseInt(parts[0]);
                    switchLsn = WalNames.parseLsn(parts[1]);
                    ancestors.add(parent);
                }
                out.put(f.timeline(), new History(parent, switchLsn, ancestors));
            } catch (IOException | RuntimeException e) {
                problems.add("cannot read the history file " + f.name() + " (object '" + f.object() + "'): " + e.getMessage());
            }
        }
        return out;
    }

    private void deleteQuietly(String object) {
        try {
            sink().delete(object);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot remove {}: {}", object, e.toString());
        }
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest d = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[256 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
