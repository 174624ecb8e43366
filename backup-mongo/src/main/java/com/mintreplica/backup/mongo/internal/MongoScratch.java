package com.mintreplica.backup.mongo.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.drill.DrillCheck;
import com.mintreplica.backup.core.drill.Scratch;
import com.mintreplica.backup.mongo.MongoRestoreReport;
import com.mintreplica.backup.mongo.MongoSourceProvider;
import com.mintreplica.backup.mongo.MongoTarget;
import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCredential;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * New databases for the drill on the job's MongoDB server or the drill's, one per database of the snapshot
 * ({@code <database>_drill_<random>}, or {@code target-database} for a snapshot of one database): each is restored
 * on its own (a MongoDB target renames one database at a time), its document counts checked by the target, and dropped
 * afterwards. A database that existed before the drill is never dropped.
 */
public final class MongoScratch implements Scratch {
    /** Every collection has the document count the backup recorded. */
    public static final String DOCUMENT_COUNTS = "document-counts";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final MongoClient client;
    private final String hosts;
    private final Map<String, String> scratchBySource;
    private final Map<String, MongoTarget> targets;
    private final List<String> toDrop;
    private boolean removed;

    private MongoScratch(MongoClient client, String hosts, Map<String, String> scratchBySource,
                         Map<String, MongoTarget> targets, List<String> toDrop) {
        this.client = client;
        this.hosts = hosts;
        this.scratchBySource = scratchBySource;
        this.targets = targets;
        this.toDrop = toDrop;
    }

    /**
     * Prepares the scratch databases (made by the restores).
     *
     * @param server the server's URI (the drill's target, or the job's source location), perhaps naming a user whose
     *     password is {@link MongoSourceProvider#PASSWORD_ENV} in {@code environment}
     * @param entries the snapshot's entries: {@code <database>/<collection>.bson}, ...
     */
    public static MongoScratch create(String server, Map<String, String> environment, Map<String, String> options,
                                      Snapshot snapshot, List<Entry> entries) throws IOException {
        TreeSet<String> databases = entries.stream().filter(e -> e.type() == EntryType.REGULAR)
                .map(e -> e.path().contains("/") ? e.path().substring(0, e.path().indexOf('/')) : "")
                .filter(d -> !d.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
        if (databases.isEmpty()) {
            throw new InvalidInputException("snapshot " + snapshot.id() + " holds no MongoDB collection to restore");
        }
        Optional<String> named = Optional.ofNullable(options.get("target-database")).map(String::strip);
        if (named.isPresent() && databases.size() > 1) {
            throw new InvalidInputException("snapshot " + snapshot.id() + " holds " + databases.size() + " databases "
                    + databases + ": target-database names one; leave it out to get a new name for each");
        }
        boolean replace = List.of("", "true", "yes", "on", "1")
                .contains(options.getOrDefault("replace", "false").strip().toLowerCase(Locale.ROOT));
        int batchSize = Integer.parseInt(options.getOrDefault("batch-size", "1000").strip());
        MongoClient client = client(server, environment);
        try {
            Set<String> existing = new TreeSet<>();
            client.listDatabaseNames().forEach(existing::add);
            Map<String, String> scratchBySource = new LinkedHashMap<>();
            Map<String, MongoTarget> targets = new LinkedHashMap<>();
            List<String> toDrop = new ArrayList<>();
            for (String db : databases) {
                String scratch = named.orElseGet(() -> scratchName(db));
                if (existing.contains(scratch) && (scratch.equals(db) || !replace)) {
                    throw new InvalidInputException("the drill's database '" + scratch + "' exists on the server: a drill"
                            + " restores into databases it creates and drops afterwards" + (scratch.equals(db)
                            ? ", never over the original" : "; choose another target-database, or set replace: \"true\""
                            + " if it belongs to drills"));
                }
                scratchBySource.put(db, scratch);
                targets.put(db, MongoTarget.builder().client(client).targetDatabase(scratch).drop(replace)
                        .batchSize(batchSize).build());
                toDrop.add(scratch);
            }
            return new MongoScratch(client, new ConnectionString(server).getHosts().toString(), scratchBySource, targets,
                    toDrop);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** A client for {@code server}, with the password from the environment when the URI names only the user. */
    public static MongoClient client(String server, Map<String, String> environment) {
        ConnectionString cs = new ConnectionString(server);
        MongoClientSettings.Builder settings = MongoClientSettings.builder().applyConnectionString(cs);
        if (cs.getServerSelectionTimeout() == null) {
            settings.applyToClusterSettings(c -> c.serverSelectionTimeout(30, TimeUnit.SECONDS));
        }
        MongoCredential credential = cs.getCredential();
        String password = environment.get(MongoSourceProvider.PASSWORD_ENV);
        if (credential != null && credential.getPassword() == null && password != null) {
            Secret secret = Secret.of(password);
            settings.credential(MongoCredential.createCredential(credential.getUserName(),
                    credential.getSource() == null ? "admin" : credential.getSource(), secret.chars()));
        }
        return MongoClients.create(settings.build());
    }

    static String scratchName(String original) {
        byte[] random = new byte[4];
        RANDOM.nextBytes(random);
        String suffix = "_drill_" + HexFormat.of().formatHex(random);
        String base = original.replaceAll("[^A-Za-z0-9_-]", "_");
        int room = 63 - suffix.length();
        return (base.length() > room ? base.substring(0, room) : base) + suffix;
    }

    @Override
    public String kind() {
        return "mongodb";
    }

    @Override
    public String describe() {
        return hosts + "/" + String.join(",", scratchBySource.values());
    }

    @Override
    public Optional<Path> directory() {
        return Optional.empty();
    }

    /** The first scratch database (the only one for a snapshot of one database). */
    @Override
    public Optional<String> database() {
        return scratchBySource.values().stream().findFirst();
    }

    @Override
    public List<Part> parts() {
        List<Part> out = new ArrayList<>();
        targets.forEach((db, target) -> out.add(new Part(List.of(db), target)));
        return out;
    }

    @Override
    public List<DrillCheck> checks(Optional<RestoreResult> result, Optional<Exception> failure) {
        List<DrillCheck> out = new ArrayList<>();
        List<MongoRestoreReport> reports = targets.values().stream().map(MongoTarget::report)
                .flatMap(Optional::stream).toList();
        if (reports.isEmpty()) {
            out.add(DrillCheck.skipped(DOCUMENT_COUNTS, "the restore failed before the counts"));
            return out;
        }
        boolean ok = reports.size() == targets.size() && reports.stream().allMatch(MongoRestoreReport::ok);
        int collections = reports.stream().mapToInt(r -> r.collections().size()).sum();
        String detail = ok ? "all " + collections + " collections have the document counts of snapshot "
                + reports.get(0).snapshotId()
                : reports.stream().filter(r -> !r.ok()).map(MongoRestoreReport::summary).collect(Collectors.joining("; "))
                + (reports.size() < targets.size() ? "; " + (targets.size() - reports.size())
                + " databases were not restored" : "");
        out.add(ok ? DrillCheck.passed(DOCUMENT_COUNTS, detail)
                : DrillCheck.failed(DOCUMENT_COUNTS, detail));
        return out;
    }

    @Override
    public String remove() throws IOException {
        if (removed) {
            return "nothing more to remove on " + hosts + ": the drill's removal ran before";
        }
        List<String> dropped = new ArrayList<>();
        try {
            Set<String> existing = new TreeSet<>();
            client.listDatabaseNames().forEach(existing::add);
            for (String name : toDrop) {
                if (existing.contains(name)) {
                    client.getDatabase(name).drop();
                    dropped.add(name);
                }
            }
            Set<String> after = new TreeSet<>();
            client.listDatabaseNames().forEach(after::add);
            List<String> left = toDrop.stream().filter(after::contains).toList();
            if (!left.isEmpty()) {
                throw new IOException("databases " + left + " on " + hosts + " are still there after dropping them:"
                        + " drop them by hand");
            }
        } catch (RuntimeException e) {
            throw new IOException("cannot drop the drill's databases " + toDrop + " on " + hosts + ": " + e.getMessage()
                    + ": drop them by hand", e);
        } finally {
            removed = true; // the client is closed: a second call must not use it
            client.close();
        }
        return dropped.isEmpty() ? "nothing left on " + hosts : "dropped database " + String.join(", ", dropped)
                + " on " + hosts;
    }
}
