package com.mintreplica.backup.jobs.internal;

import com.fasterxml.jackson.core.JsonToken;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.jobs.CronSchedule;
import com.mintreplica.backup.jobs.config.AuditConfig;
import com.mintreplica.backup.jobs.config.ConfigException;
import com.mintreplica.backup.jobs.config.ConfigProblem;
import com.mintreplica.backup.jobs.config.CopyConfig;
import com.mintreplica.backup.jobs.config.DrillConfig;
import com.mintreplica.backup.jobs.config.EncryptionConfig;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.KeyConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.RetentionConfig;
import com.mintreplica.backup.jobs.config.SecretRef;
import com.mintreplica.backup.jobs.config.SourceConfig;
import com.mintreplica.backup.jobs.internal.YamlTree.Field;
import com.mintreplica.backup.jobs.internal.YamlTree.ListNode;
import com.mintreplica.backup.jobs.internal.YamlTree.MapNode;
import com.mintreplica.backup.jobs.internal.YamlTree.Node;
import com.mintreplica.backup.jobs.internal.YamlTree.ScalarNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a YAML config into a {@link JobsConfig}, reporting every problem with file, line, column and field: syntax,
 * unknown keys (with the likely meant one), wrong types, bad values, then the whole config's own checks (missing
 * references), located at the field they concern.
 */
public final class ConfigReader {
    private static final Set<String> TOP = Set.of("version", "host", "timezone", "lease", "stallTimeout", "audit", "keys", "repositories", "jobs", "drills");
    private static final Set<String> AUDIT = Set.of("file", "repository");
    private static final Set<String> KEY = Set.of("public", "secret", "passphrase");
    private static final Set<String> REPOSITORY = Set.of("location", "encryption", "copies", "prune", "create");
    private static final Set<String> ENCRYPTION = Set.of("recipients", "unlock", "writer", "cache");
    private static final Set<String> PRUNE = Set.of("schedule", "timezone");
    private static final Set<String> JOB = Set.of("source", "repository", "schedule", "timezone", "jitter", "tags",
            "retention", "copies", "host", "alertAfter");
    private static final Set<String> SOURCE = Set.of("location", "paths", "exclude", "include", "options", "environment", "password");
    private static final Set<String> RETENTION = Set.of("keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly",
            "keepYearly", "keepWithin", "keepTags");
    private static final Set<String> COPY = Set.of("repository", "retention");
    private static final Set<String> DRILL = Set.of("job", "schedule", "timezone", "target", "options", "environment", "password", "checks", "smoke");
    private static final Pattern DURATION = Pattern.compile("(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    private final String file;
    private final Path base;
    private final List<ConfigProblem> problems = new ArrayList<>();
    private final Map<String, int[]> locations = new HashMap<>();
    /** Properties spell keys loosely ({@code keep-daily}, {@code keepdaily}): {@link #known} renames them. */
    private boolean relaxed;

    private ConfigReader(String file, Path base) {
        this.file = file;
        this.base = base;
    }

    /**
     * Reads flattened properties ({@code jobs.etc.source.paths[0]}) through the same checks as a file; see
     * {@link JobsConfig#fromProperties}.
     */
    public static JobsConfig read(Map<String, ?> properties, String name, Path base) {
        ConfigReader reader = new ConfigReader(name, base);
        reader.relaxed = true;
        Optional<Node> root = PropertyTree.build(properties, name, reader.problems);
        if (!reader.problems.isEmpty()) {
            throw new ConfigException(reader.problems);
        }
        return reader.parse(root);
    }

    /** Reads {@code path}; relative paths in it are resolved against its directory. */
    public static JobsConfig read(Path path) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException("the config file " + path + " does not exist");
        } catch (IOException e) {
            throw new InvalidInputException("cannot read the config file " + path + ": " + e.getMessage(), e);
        }
        Path dir = path.toAbsolutePath().getParent();
        return new ConfigReader(path.toString(), dir).parse(text);
    }

    /** Reads YAML text; relative paths are resolved against the working directory. */
    public static JobsConfig read(String yaml, String name) {
        return new ConfigReader(name, Path.of("").toAbsolutePath()).parse(yaml);
    }

    private JobsConfig parse(String yaml) {
        Optional<Node> root = YamlTree.parse(yaml, file, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return parse(root);
    }

    private JobsConfig parse(Optional<Node> root) {
        if (root.isEmpty() || !(root.get() instanceof MapNode top)) {
            throw new ConfigException(List.of(new ConfigProblem(Optional.of(file), root.map(Node::line).orElse(1),
                    root.map(Node::column).orElse(1), "", "a config is a mapping with the sections repositories and jobs"
                    + " (and keys, drills, audit): see docs/config-example.yaml")));
        }
        locate("", top);
        known(top, "", TOP);
        JobsConfig.Builder b = JobsConfig.builder().file(file);
        field(top, "version").ifPresent(v -> {
            Integer n = integer(v.value(), "version");
            if (n != null && n != 1) {
                problem(v.value(), "version", "this mint-backup reads config version 1, not " + n + ": upgrade mint-backup");
            }
        });
        string(top, "host", "host").ifPresent(b::host);
        ZoneId zone = zone(top, "timezone", "timezone").orElse(ZoneOffset.UTC);
        b.zone(zone);
        field(top, "lease").ifPresent(f -> {
            Duration d = duration(f.value(), "lease");
            if (d != null) {
                b.lease(d);
            }
        });
        field(top, "stallTimeout").ifPresent(f -> {
            Duration d = duration(f.value(), "stallTimeout");
            if (d != null) {
                b.stallTimeout(d);
            }
        });
        field(top, "audit").ifPresent(f -> b.audit(audit(f.value())));
        forEachEntry(top, "keys", (name, node, at) -> {
            KeyConfig key = key(name, node, at);
            if (key != null) {
                b.key(key);
            }
        });
        forEachEntry(top, "repositories", (name, node, at) -> {
            RepositoryConfig repository = repository(name, node, at, zone);
            if (repository != null) {
                b.repository(repository);
            }
        });
        forEachEntry(top, "jobs", (name, node, at) -> {
            JobConfig job = job(name, node, at, zone);
            if (job != null) {
                b.job(job);
            }
        });
        forEachEntry(top, "drills", (name, node, at) -> {
            DrillConfig drill = drill(name, node, at, zone);
            if (drill != null) {
                b.drill(drill);
            }
        });
        if (field(top, "jobs").isEmpty()) {
            problem(top, "jobs", "the config has no jobs section: add jobs (see docs/config-example.yaml)");
        }
        if (field(top, "repositories").isEmpty()) {
            problem(top, "repositories", "the config has no repositories section: add one repository at least");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(sorted());
        }
        for (ConfigProblem p : b.problems()) {
            int[] at = locationOf(p.field());
            problems.add(new ConfigProblem(Optional.of(file), at[0], at[1], p.field(), p.message()));
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(sorted());
        }
        return b.build();
    }

    // ---- sections

    private AuditConfig audit(Node node) {
        MapNode m = map(node, "audit");
        if (m == null) {
            return AuditConfig.none();
        }
        known(m, "audit", AUDIT);
        Optional<Path> path = string(m, "file", "audit.file").map(this::path);
        boolean repository = bool(m, "repository", "audit.repository").orElse(false);
        if (repository && path.isEmpty()) {
            problem(m, "audit.file", "audit.repository copies the lines of the audit file: give audit.file too");
        }
        return new AuditConfig(path, repository);
    }

    private KeyConfig key(String name, Node node, String at) {
        MapNode m = map(node, at);
        if (m == null) {
            return null;
        }
        known(m, at, KEY);
        Optional<Path> pub = string(m, "public", at + ".public").map(this::path);
        Optional<Path> secret = string(m, "secret", at + ".secret").map(this::path);
        Optional<SecretRef> passphrase = secret(m, "passphrase", at + ".passphrase");
        return new KeyConfig(name, pub, secret, passphrase);
    }

    private RepositoryConfig repository(String name, Node node, String at, ZoneId zone) {
        MapNode m = map(node, at);
        if (m == null) {
            return null;
        }
        known(m, at, REPOSITORY);
        Optional<String> location = string(m, "location", at + ".location");
        if (location.isEmpty()) {
            problem(m, at + ".location", "a repository needs a location: a directory, s3://bucket/prefix or gs://bucket/prefix");
        }
        Optional<EncryptionConfig> encryption = field(m, "encryption").map(f -> {
            MapNode e = map(f.value(), at + ".encryption");
            if (e == null) {
                return null;
            }
            known(e, at + ".encryption", ENCRYPTION);
            return new EncryptionConfig(strings(e, "recipients", at + ".encryption.recipients"),
                    strings(e, "unlock", at + ".encryption.unlock"),
                    string(e, "writer", at + ".encryption.writer").map(this::path),
                    string(e, "cache", at + ".encryption.cache").map(this::path));
        });
        List<String> copies = strings(m, "copies", at + ".copies");
        Optional<CronSchedule> prune = field(m, "prune").map(f -> {
            MapNode p = map(f.value(), at + ".prune");
            if (p == null) {
                return null;
            }
            known(p, at + ".prune", PRUNE);
            ZoneId z = zone(p, "timezone", at + ".prune.timezone").orElse(zone);
            Optional<CronSchedule> s = schedule(p, "schedule", at + ".prune.schedule", z);
            if (field(p, "schedule").isEmpty()) {
                problem(p, at + ".prune.schedule", "prune needs a schedule, such as '30 4 * * 0' (Sundays at 04:30)");
            }
            return s.orElse(null);
        });
        boolean create = bool(m, "create", at + ".create").orElse(true);
        return new RepositoryConfig(name, location.orElse(""), encryption, copies, prune, create);
    }

    private JobConfig job(String name, Node node, String at, ZoneId defaultZone) {
        MapNode m = map(node, at);
        if (m == null) {
            return null;
        }
        known(m, at, JOB);
        JobConfig.Builder b = JobConfig.builder(name);
        Optional<Field> sourceField = field(m, "source");
        SourceConfig source = sourceField.map(f -> source(f.value(), at + ".source")).orElse(null);
        if (sourceField.isEmpty()) {
            problem(m, at + ".source", "a job needs a source: paths (directories and files) or location (a URI)");
        }
        Optional<String> repository = string(m, "repository", at + ".repository");
        if (repository.isEmpty()) {
            problem(m, at + ".repository", "a job needs a repository: the name of one in repositories");
        }
        ZoneId zone = zone(m, "timezone", at + ".timezone").orElse(defaultZone);
        schedule(m, "schedule", at + ".schedule", zone).ifPresent(b::schedule);
        field(m, "jitter").ifPresent(f -> {
            Duration d = duration(f.value(), at + ".jitter");
            if (d != null) {
                b.jitter(d);
            }
        });
        b.tags(strings(m, "tags", at + ".tags").toArray(String[]::new));
        field(m, "retention").ifPresent(f -> {
            RetentionConfig r = retention(f.value(), at + ".retention");
            if (r != null) {
                b.retention(r);
            }
        });
        field(m, "copies").ifPresent(f -> b.copies(copies(f.value(), at + ".copies").toArray(CopyConfig[]::new)));
        string(m, "host", at + ".host").ifPresent(b::host);
        field(m, "alertAfter").ifPresent(f -> {
            Duration d = duration(f.value(), at + ".alertAfter");
            if (d != null) {
                b.alertAfter(d);
            }
        });
        if (source == null || repository.isEmpty()) {
            return null;
        }
        return b.source(source).repository(repository.get()).build();
    }

    private SourceConfig source(Node node, String at) {
        MapNode m = map(node, at);
        if (m == null) {
            return null;
        }
        known(m, at, SOURCE);
        Optional<String> location = string(m, "location", at + ".location");
        List<Path> paths = strings(m, "paths", at + ".paths").stream().map(this::path).toList();
        List<String> exclude = strings(m, "exclude", at + ".exclude");
        List<String> include = strings(m, "include", at + ".include");
        Map<String, String> options = stringMap(m, "options", at + ".options");
        Map<String, SecretRef> environment = environment(m, at + ".environment");
        Optional<SecretRef> password = secret(m, "password", at + ".password");
        return new SourceConfig(location, paths, exclude, include, options, environment, password);
    }

    private RetentionConfig retention(Node node, String at) {
        MapNode m = map(node, at);
        if (m == null) {
            return null;
        }
        known(m, at, RETENTION);
        RetentionConfig.Builder b = RetentionConfig.builder();
        count(m, "keepLast", at).ifPresent(b::keepLast);
        count(m, "keepHourly", at).ifPresent(b::keepHourly);
        count(m, "keepDaily", at).ifPresent(b::keepDaily);
        count(m, "keepWeekly", at).ifPresent(b::keepWeekly);
        count(m, "keepMonthly", at).ifPresent(b::keepMonthly);
        count(m, "keepYearly", at).ifPresent(b::keepYearly);
        string(m, "keepWithin", at + ".keepWithin").ifPresent(b::keepWithin);
        b.keepTags(strings(m, "keepTags", at + ".keepTags").toArray(String[]::new));
        return b.build();
    }

    private List<CopyConfig> copies(Node node, String at) {
        List<CopyConfig> out = new ArrayList<>();
        if (node instanceof ScalarNode s && !s.isNull()) {
            locations.put(at + "[0]", new int[] {s.line(), s.column()});
            out.add(CopyConfig.to(s.text()));
            return out;
        }
        if (node instanceof ScalarNode) {
            return out;
        }
        if (!(node instanceof ListNode list)) {
            problem(node, at, "expected a list of repository names (or of {repository, retention}), got " + node.describe());
            return out;
        }
        for (int i = 0; i < list.items().size(); i++) {
            Node item = list.items().get(i);
            String itemAt = at + "[" + i + "]";
            locations.put(itemAt, new int[] {item.line(), item.column()});
            if (item instanceof ScalarNode s && (s.token() == JsonToken.VALUE_STRING)) {
                out.add(CopyConfig.to(s.text()));
            } else if (item instanceof MapNode m) {
                locate(itemAt, m);
                known(m, itemAt, COPY);
                Optional<String> repository = string(m, "repository", itemAt + ".repository");
                Optional<RetentionConfig> retention = field(m, "retention").map(f -> retention(f.value(), itemAt + ".retention"));
                if (repository.isEmpty()) {
                    problem(m, itemAt + ".repository", "a copy needs the name of its repository");
                } else {
                    locations.put(itemAt, locationOf(itemAt + ".repository"));
                    out.add(new CopyConfig(repository.get(), retention));
                }
            } else {
                problem(item, itemAt, "expected a repository name, got " + item.describe());
            }
        }
        return out;
    }

    private DrillConfig drill(String name, Node node, String at, ZoneId defaultZone) {
        MapNode m = map(node, at);
        if (m == null) {
            return null;
        }
        known(m, at, DRILL);
        Optional<String> job = string(m, "job", at + ".job");
        if (job.isEmpty()) {
            problem(m, at + ".job", "a drill needs the job whose snapshots it restores");
        }
        ZoneId zone = zone(m, "timezone", at + ".timezone").orElse(defaultZone);
        Optional<CronSchedule> schedule = schedule(m, "schedule", at + ".schedule", zone);
        Optional<String> target = string(m, "target", at + ".target")
                .map(t -> t.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") || t.isBlank() ? t : base.resolve(t).normalize().toString());
        Map<String, String> options = stringMap(m, "options", at + ".options");
        Map<String, SecretRef> environment = environment(m, at + ".environment");
        Optional<SecretRef> password = secret(m, "password", at + ".password");
        List<String> checks = strings(m, "checks", at + ".checks");
        Optional<String> smoke = string(m, "smoke", at + ".smoke");
        return job.map(j -> new DrillConfig(name, j, schedule, target, options, environment, password, checks, smoke)).orElse(null);
    }

    // ---- values

    private interface EntryVisitor {
        void visit(String name, Node value, String at);
    }

    private void forEachEntry(MapNode parent, String key, EntryVisitor visitor) {
        field(parent, key).ifPresent(f -> {
            if (f.value() instanceof ScalarNode s && s.isNull()) {
                return;
            }
            MapNode m = map(f.value(), key);
            if (m == null) {
                return;
            }
            for (Field entry : m.fields().values()) {
                String at = key + "." + entry.key();
                locations.put(at, new int[] {entry.line(), entry.column()});
                if (entry.value() instanceof MapNode) {
                    locate(at, (MapNode) entry.value());
                }
                visitor.visit(entry.key(), entry.value(), at);
            }
        });
    }

    /** Records where each field of {@code m} is, under {@code at}. */
    private void locate(String at, MapNode m) {
        for (Field f : m.fields().values()) {
            String path = at.isEmpty() ? f.key() : at + "." + f.key();
            locations.put(path, new int[] {f.line(), f.column()});
            if (f.value() instanceof ListNode list) {
                for (int i = 0; i < list.items().size(); i++) {
                    Node item = list.items().get(i);
                    locations.putIfAbsent(path + "[" + i + "]", new int[] {item.line(), item.column()});
                }
            }
        }
        locations.putIfAbsent(at, new int[] {m.line(), m.column()});
    }

    private Optional<Field> field(MapNode m, String key) {
        return Optional.ofNullable(m.fields().get(key));
    }

    private MapNode map(Node node, String at) {
        if (node instanceof MapNode m) {
            locate(at, m);
            return m;
        }
        problem(node, at, "expected a mapping (key: value), got " + node.describe());
        return null;
    }

    private void known(MapNode m, String at, Set<String> allowed) {
        if (relaxed) {
            relax(m, at, allowed);
        }
        for (Field f : m.fields().values()) {
            if (!allowed.contains(f.key())) {
                String path = at.isEmpty() ? f.key() : at + "." + f.key();
                String hint = closest(f.key(), allowed).map(k -> ": did you mean '" + k + "'?")
                        .orElse(": known keys here are " + new java.util.TreeSet<>(allowed));
                problems.add(new ConfigProblem(Optional.of(file), f.line(), f.column(), path, "unknown key '" + f.key() + "'" + hint));
            }
        }
    }

    /**
     * Renames the keys of {@code m} spelt as Spring's relaxed binding allows ({@code keep-daily}, {@code keep_daily},
     * {@code keepdaily}) to the config's own ({@code keepDaily}); a key given in two spellings is a problem.
     */
    private void relax(MapNode m, String at, Set<String> allowed) {
        Map<String, String> canonical = new HashMap<>();
        for (String key : allowed) {
            canonical.put(loose(key), key);
        }
        List<Field> fields = new ArrayList<>(m.fields().values());
        Map<String, String> spelt = new HashMap<>();
        m.fields().clear();
        for (Field f : fields) {
            String key = allowed.contains(f.key()) ? f.key() : canonical.getOrDefault(loose(f.key()), f.key());
            String previous = spelt.putIfAbsent(key, f.key());
            if (previous != null) {
                problems.add(new ConfigProblem(Optional.of(file), f.line(), f.column(), at.isEmpty() ? key : at + "." + key,
                        "'" + f.key() + "' and '" + previous + "' are the same key: keep one"));
                continue;
            }
            m.fields().put(key, new Field(key, f.line(), f.column(), f.value()));
        }
    }

    private static String loose(String key) {
        return key.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    }

    private Optional<String> string(MapNode m, String key, String at) {
        Optional<Field> f = field(m, key);
        if (f.isEmpty()) {
            return Optional.empty();
        }
        Node v = f.get().value();
        if (v instanceof ScalarNode s) {
            if (s.isNull()) {
                problem(f.get(), at, "has no value");
                return Optional.empty();
            }
            return Optional.of(s.text());
        }
        problem(v, at, "expected a single value, got " + v.describe());
        return Optional.empty();
    }

    private Optional<Boolean> bool(MapNode m, String key, String at) {
        return field(m, key).flatMap(f -> {
            if (f.value() instanceof ScalarNode s && (s.token() == JsonToken.VALUE_TRUE || s.token() == JsonToken.VALUE_FALSE)) {
                return Optional.of(s.token() == JsonToken.VALUE_TRUE);
            }
            problem(f.value(), at, "expected true or false, got " + f.value().describe());
            return Optional.empty();
        });
    }

    private Integer integer(Node node, String at) {
        if (node instanceof ScalarNode s && s.token() == JsonToken.VALUE_NUMBER_INT) {
            try {
                return Integer.parseInt(s.text());
            } catch (NumberFormatException e) {
                problem(node, at, "the number " + s.text() + " is too large");
                return null;
            }
        }
        problem(node, at, "expected a whole number, got " + node.describe());
        return null;
    }

    private Optional<Integer> count(MapNode m, String key, String at) {
        return field(m, key).map(f -> integer(f.value(), at + "." + key));
    }

    private List<String> strings(MapNode m, String key, String at) {
        Optional<Field> f = field(m, key);
        if (f.isEmpty()) {
            return List.of();
        }
        Node v = f.get().value();
        if (v instanceof ScalarNode s) {
            return s.isNull() ? List.of() : List.of(s.text());
        }
        if (v instanceof ListNode list) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < list.items().size(); i++) {
                Node item = list.items().get(i);
                if (item instanceof ScalarNode s && !s.isNull()) {
                    out.add(s.text());
                } else {
                    problem(item, at + "[" + i + "]", "expected a single value, got " + item.describe());
                }
            }
            return out;
        }
        problem(v, at, "expected a list, got " + v.describe());
        return List.of();
    }

    private Map<String, String> stringMap(MapNode m, String key, String at) {
        Map<String, String> out = new LinkedHashMap<>();
        field(m, key).ifPresent(f -> {
            MapNode values = map(f.value(), at);
            if (values == null) {
                return;
            }
            for (Field entry : values.fields().values()) {
                if (entry.value() instanceof ScalarNode s && !s.isNull()) {
                    out.put(entry.key(), s.text());
                } else {
                    problem(entry.value(), at + "." + entry.key(), "expected a single value, got " + entry.value().describe());
                }
            }
        });
        return out;
    }

    private Map<String, SecretRef> environment(MapNode m, String at) {
        Map<String, SecretRef> out = new LinkedHashMap<>();
        stringMap(m, "environment", at).forEach((variable, value) -> {
            try {
                out.put(variable, SecretRef.parseOrLiteral(value));
            } catch (InvalidInputException e) {
                problem(locationOf(at + "." + variable), at + "." + variable, e.getMessage());
            }
        });
        return out;
    }

    private Optional<SecretRef> secret(MapNode m, String key, String at) {
        return string(m, key, at).flatMap(text -> {
            try {
                return Optional.of(SecretRef.parse(text));
            } catch (InvalidInputException e) {
                problem(field(m, key).get().value(), at, e.getMessage());
                return Optional.empty();
            }
        });
    }

    private Optional<ZoneId> zone(MapNode m, String key, String at) {
        return string(m, key, at).flatMap(text -> {
            try {
                return Optional.of(ZoneId.of(text));
            } catch (DateTimeException e) {
                problem(field(m, key).get().value(), at, "'" + text + "' is not a time zone: use a region such as"
                        + " Europe/Berlin, or UTC");
                return Optional.empty();
            }
        });
    }

    private Optional<CronSchedule> schedule(MapNode m, String key, String at, ZoneId zone) {
        return string(m, key, at).flatMap(text -> {
            try {
                return Optional.of(CronSchedule.parse(text, zone));
            } catch (InvalidInputException e) {
                problem(field(m, key).get().value(), at, e.getMessage());
                return Optional.empty();
            }
        });
    }

    private Duration duration(Node node, String at) {
        if (!(node instanceof ScalarNode s) || s.isNull()) {
            problem(node, at, "expected a duration such as 90s, 5m, 2h or 1d, got " + node.describe());
            return null;
        }
        Optional<Duration> d = parseDuration(s.text());
        if (d.isEmpty()) {
            problem(node, at, "'" + s.text() + "' is not a duration: write 90s, 5m, 2h, 1d or 1h30m");
            return null;
        }
        return d.get();
    }

    /** {@code 90s}, {@code 5m}, {@code 1h30m}, {@code 1d}, or ISO-8601 {@code PT5M}. */
    public static Optional<Duration> parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("p")) {
            try {
                return Optional.of(Duration.parse(t.toUpperCase(Locale.ROOT)));
            } catch (java.time.format.DateTimeParseException e) {
                return Optional.empty();
            }
        }
        if (t.equals("0")) {
            return Optional.of(Duration.ZERO);
        }
        Matcher matcher = DURATION.matcher(t);
        if (t.isEmpty() || !matcher.matches()) {
            return Optional.empty();
        }
        Duration d = Duration.ZERO;
        long[] unit = {86_400, 3_600, 60, 1};
        for (int i = 0; i < 4; i++) {
            if (matcher.group(i + 1) != null) {
                d = d.plusSeconds(Long.parseLong(matcher.group(i + 1)) * unit[i]);
            }
        }
        return Optional.of(d);
    }

    private Path path(String text) {
        Path p = Path.of(text.startsWith("~/") ? System.getProperty("user.home") + text.substring(1) : text);
        return p.isAbsolute() ? p : base.resolve(p).normalize();
    }

    // ---- problems

    private void problem(Node node, String at, String message) {
        problems.add(new ConfigProblem(Optional.of(file), node.line(), node.column(), at, message));
    }

    private void problem(Field field, String at, String message) {
        problems.add(new ConfigProblem(Optional.of(file), field.line(), field.column(), at, message));
    }

    private void problem(int[] location, String at, String message) {
        problems.add(new ConfigProblem(Optional.of(file), location[0], location[1], at, message));
    }

    private void problem(MapNode parent, String at, String message) {
        int[] loc = locationOf(at);
        if (loc[0] == 0) {
            loc = new int[] {parent.line(), parent.column()};
        }
        problems.add(new ConfigProblem(Optional.of(file), loc[0], loc[1], at, message));
    }

    /** The location of a field path, or of its nearest enclosing field that has one. */
    private int[] locationOf(String field) {
        String f = field;
        while (!f.isEmpty()) {
            int[] at = locations.get(f);
            if (at != null) {
                return at;
            }
            int cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
            f = cut < 0 ? "" : f.substring(0, cut);
        }
        return new int[] {0, 0};
    }

    private List<ConfigProblem> sorted() {
        return problems.stream().sorted(Comparator.comparingInt(ConfigProblem::line).thenComparingInt(ConfigProblem::column)).toList();
    }

    private static Optional<String> closest(String key, Set<String> allowed) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : allowed) {
            int d = distance(key.toLowerCase(Locale.ROOT).replace("-", "").replace("_", ""),
                    candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return bestDistance <= Math.max(2, key.length() / 4) ? Optional.ofNullable(best) : Optional.empty();
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
