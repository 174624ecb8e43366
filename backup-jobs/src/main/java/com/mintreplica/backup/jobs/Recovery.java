package com.mintreplica.backup.jobs;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.sink.Sinks;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.Sources;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Disaster recovery from a repository alone: what it holds, grouped by job (or, for snapshots taken without a job, by
 * source) and host, with the latest snapshot of each; and a plan that restores chosen groups to given targets, checked
 * whole before anything is restored. What {@code mint-backup recover} runs on a fresh machine with no config and no
 * local state: the repository's address and a key are all it needs.
 *
 * <pre>{@code
 * try (Repository repo = Repository.open("s3://backups/mint?region=eu-central-1", OpenPgpEncryption.unlockWith(key))) {
 *     List<Recovery.Group> groups = Recovery.groups(repo);
 *     List<Recovery.Step> plan = Recovery.plan(groups, Map.of("postgres-daily", "postgresql://postgres@new-db/"),
 *             Optional.of(Path.of("/srv/restore")), List.of(), true, Map.of("no-owner", "true"));
 *     for (Recovery.Step step : plan) {
 *         Recovery.restore(repo, step, System.getenv());
 *     }
 * }
 * }</pre>
 */
public final class Recovery {
    /** The MongoDB target's option that allows restoring under the snapshot's own database names. */
    public static final String ORIGINAL_NAMES = "original-names";
    private Recovery() {
    }

    /**
     * The snapshots of one job on one host (or of one source on one host, for snapshots taken without a job).
     *
     * @param name how to choose it: the job's name, or {@code kind:name} of the source; with {@code @host} appended
     *     when the same job or source was backed up on several hosts
     * @param job the job, when the snapshots were taken by one
     * @param source what the latest snapshot was taken of
     * @param host the host that took them
     * @param latest the newest snapshot
     * @param snapshots how many snapshots the group has
     */
    public record Group(String name, Optional<String> job, SourceId source, String host, Snapshot latest, int snapshots) {
        public Group {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(job, "job");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(latest, "latest");
        }

        /** The kind of its snapshots: {@code fs}, {@code postgresql}, {@code mongodb}. */
        public String kind() {
            return source.kind();
        }
    }

    /**
     * One restore of a plan.
     *
     * @param group what is restored (its latest snapshot)
     * @param target where to: a directory, or a database URI (never with a password: give it in the environment)
     * @param options the restore target's options (for PostgreSQL {@code target-database}; for MongoDB
     *     {@code original-names=true} when the server URI names no database)
     */
    public record Step(Group group, String target, Map<String, String> options) {
        public Step {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(target, "target");
            options = Map.copyOf(options);
        }
    }

    /** The repository's snapshots in groups, sorted by name. */
    public static List<Group> groups(Repository repository) {
        Map<List<String>, List<Snapshot>> byKey = repository.snapshots().stream().collect(Collectors.groupingBy(
                s -> List.of(s.job().map(j -> "job:" + j).orElse("source:" + s.source()), s.host()),
                LinkedHashMap::new, Collectors.toList()));
        Map<String, Long> hostsPerName = byKey.keySet().stream().collect(Collectors.groupingBy(k -> k.get(0),
                Collectors.counting()));
        List<Group> out = new ArrayList<>();
        byKey.forEach((key, snapshots) -> {
            Snapshot latest = snapshots.stream().max(Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id))
                    .orElseThrow();
            String base = latest.job().orElse(latest.source().toString());
            String name = hostsPerName.get(key.get(0)) > 1 ? base + "@" + latest.host() : base;
            out.add(new Group(name, latest.job(), latest.source(), latest.host(), latest, snapshots.size()));
        });
        out.sort(Comparator.comparing(Group::name));
        return out;
    }

    /**
     * Plans the restores, checking all of it before anything is restored.
     *
     * @param restores group name to target, for the groups chosen one by one
     * @param targetDir with {@code all}: the directory each directory group is restored under, in a directory named
     *     after the group (which must not hold anything yet)
     * @param databaseTargets with {@code all}: the servers database groups are restored to, by URI scheme (one
     *     {@code postgresql://} and one {@code mongodb://} at most); each database keeps its own name
     * @param all every group; {@code restores} may still choose another target for some
     * @param options options of the database targets ({@code no-owner=true}, {@code jobs=4}); a key prefixed with a
     *     kind ({@code postgresql.no-owner}) applies to that kind only
     * @throws InvalidInputException listing every problem: unknown names, targets of the wrong kind, groups without a
     *     target, directories that are not empty
     */
    public static List<Step> plan(List<Group> groups, Map<String, String> restores, Optional<Path> targetDir,
                                  List<String> databaseTargets, boolean all, Map<String, String> options) {
        List<String> problems = new ArrayList<>();
        Map<String, Group> byName = groups.stream().collect(Collectors.toMap(Group::name, Function.identity(),
                (a, b) -> a, LinkedHashMap::new));
        Map<String, String> serverByKind = new LinkedHashMap<>();
        for (String target : databaseTargets) {
            Optional<String> kind = kindOf(target, problems, "--target " + Sinks.redact(target));
            if (kind.isPresent() && directories(kind.get())) {
                problems.add("--target " + target + " is a directory: give directories with --target-dir, and database"
                        + " servers with --target (postgresql://user@host:5432/, mongodb://host/)");
            } else if (kind.isPresent() && serverByKind.putIfAbsent(kind.get(), target) != null) {
                problems.add("two --target servers for " + kind.get() + " snapshots: give one, and choose others one by"
                        + " one with --restore NAME=URI");
            }
        }
        List<Step> steps = new ArrayList<>();
        Map<String, String> chosen = new LinkedHashMap<>();
        restores.forEach((name, target) -> {
            Group group = byName.get(name);
            if (group == null) {
                problems.add("the repository has no job or source '" + name + "': it holds " + byName.keySet());
            } else {
                chosen.put(group.name(), target);
            }
        });
        for (Group group : groups) {
            String explicit = chosen.get(group.name());
            if (explicit != null) {
                Optional<String> kind = kindOf(explicit, problems, group.name() + "=" + Sinks.redact(explicit));
                boolean directory = kind.isPresent() && directories(group.kind()) && directories(kind.get());
                if (kind.isPresent() && !kind.get().equals(group.kind()) && !directory) {
                    problems.add(group.name() + " holds " + group.kind() + " snapshots (" + group.source()
                            + ") and cannot be restored to '" + Sinks.redact(explicit) + "': give " + example(group.kind()));
                } else if (kind.isPresent()) {
                    if (directories(group.kind())) {
                        checkEmpty(Path.of(explicit), problems);
                    }
                    steps.add(new Step(group, explicit, optionsFor(group.kind(), options,
                            serverDefaults(group, explicit, true))));
                }
                continue;
            }
            if (!all) {
                continue;
            }
            if (directories(group.kind())) {
                if (targetDir.isEmpty()) {
                    problems.add(group.name() + (group.kind().equals("fs") ? " holds files" : " holds " + group.kind()
                            + " snapshots, recovered into a directory") + ": give --target-dir DIR (it is restored under DIR/"
                            + safe(group.name()) + ") or --restore " + group.name() + "=DIR");
                } else {
                    Path dir = targetDir.get().resolve(safe(group.name()));
                    checkEmpty(dir, problems);
                    steps.add(new Step(group, dir.toString(), Map.of()));
                }
            } else {
                String server = serverByKind.get(group.kind());
                if (server == null) {
                    problems.add(group.name() + " holds " + group.kind() + " snapshots (" + group.source()
                            + "): give --target " + example(group.kind()) + " or --restore " + group.name() + "=URI");
                } else {
                    steps.add(new Step(group, server, optionsFor(group.kind(), options,
                            serverDefaults(group, server, false))));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidInputException("nothing was restored; " + (problems.size() == 1 ? "fix this" : "fix these "
                    + problems.size() + " problems") + " first:\n  " + String.join("\n  ", problems));
        }
        if (steps.isEmpty()) {
            throw new InvalidInputException("nothing to restore: choose groups with --restore NAME=TARGET, or --all with"
                    + " --target-dir DIR (and --target URI for databases)");
        }
        return steps;
    }

    /**
     * Restores the latest snapshot of the step's group to its target. A PostgreSQL target checks every table's row
     * count and a MongoDB target every collection's document count before it succeeds.
     *
     * @param environment what the target reads (credentials such as {@code PGPASSWORD}, {@code PATH})
     */
    public static RestoreResult restore(Repository repository, Step step, Map<String, String> environment) {
        Snapshot snapshot = step.group().latest();
        SourceProvider provider = Sources.requireKind(snapshot.source().kind()).withEnvironment(environment);
        RestoreTarget target;
        try {
            target = provider.target(Optional.of(Sources.toUri(step.target())), step.options());
        } catch (IOException e) {
            throw new BackupException("cannot prepare the restore of " + step.group().name() + " to "
                    + Sinks.redact(step.target()) + ": " + e.getMessage(), e);
        }
        return repository.restore(SnapshotSelector.id(snapshot.id())).to(target).run();
    }

    /**
     * What recovering to a server means without more words, as the kind's provider says
     * ({@link SourceProvider#recoveryOptions}): for MongoDB, a server URI that names no database restores each
     * database under its own name; for PostgreSQL, every group restored to one server keeps its database's name.
     *
     * @param chosen whether the target was chosen for this group ({@code --restore NAME=URI})
     */
    private static Map<String, String> serverDefaults(Group group, String target, boolean chosen) {
        return Sources.forKind(group.kind()).map(p -> p.recoveryOptions(group.latest(), Sources.toUri(target), chosen))
                .orElse(Map.of());
    }

    /** Whether snapshots of {@code kind} are recovered into directories ({@link SourceProvider#recoversIntoDirectory}). */
    private static boolean directories(String kind) {
        return Sources.forKind(kind).map(SourceProvider::recoversIntoDirectory).orElse(false);
    }

    private static Map<String, String> optionsFor(String kind, Map<String, String> options, Map<String, String> base) {
        if (directories(kind)) {
            return base;
        }
        Map<String, String> out = new LinkedHashMap<>(base);
        options.forEach((key, value) -> {
            int dot = key.indexOf('.');
            if (dot < 0) {
                out.put(key, value);
            } else if (key.substring(0, dot).equals(kind)) {
                out.put(key.substring(dot + 1), value);
            }
        });
        return out;
    }

    private static Optional<String> kindOf(String target, List<String> problems, String what) {
        try {
            URI uri = Sources.toUri(target);
            return Optional.of(Sources.forLocation(uri).kind());
        } catch (BackupException e) {
            problems.add(what + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private static void checkEmpty(Path dir, List<String> problems) {
        if (!Files.exists(dir)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            problems.add(dir + " exists and is not a directory: give a new or empty directory");
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent()) {
                problems.add(dir + " is not empty: recover restores only into new or empty directories, so nothing"
                        + " is overwritten; give another directory");
            }
        } catch (IOException e) {
            problems.add("cannot read " + dir + ": " + e.getMessage());
        }
    }

    private static String example(String kind) {
        return Sources.forKind(kind).map(SourceProvider::targetExample).orElse("a " + kind + " target");
    }

    /** A group name as a directory name: what {@code --all} restores a files group under. */
    public static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9._@-]", "_").replaceAll("^\\.+", "_");
    }
}
