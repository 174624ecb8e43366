package com.mintreplica.backup.mongo.internal;

import com.mintreplica.backup.core.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which databases and collections a backup reads. Databases are named exactly; include and exclude patterns are
 * namespaces ({@code mint.ledger}) or databases ({@code mint}) where {@code *} matches any run of characters
 * ({@code mint.ledger_*}, {@code *.audit}). With no database and no include, every database but {@code admin},
 * {@code config} and {@code local} is read. System collections ({@code system.*}) are never read, except
 * {@code system.js}; views are dumped as their definition; time-series collections through their view.
 */
public final class NamespaceFilter {
    private static final Set<String> SYSTEM_DATABASES = Set.of("admin", "config", "local");

    private final List<String> databases;
    private final List<String> includes;
    private final List<String> excludes;
    private final List<Glob> includeGlobs = new ArrayList<>();
    private final List<Glob> excludeGlobs = new ArrayList<>();

    public NamespaceFilter(List<String> databases, List<String> includes, List<String> excludes) {
        this.databases = List.copyOf(databases);
        this.includes = List.copyOf(includes);
        this.excludes = List.copyOf(excludes);
        for (String db : databases) {
            if (db.isBlank() || db.contains(".") || db.contains("/") || db.contains("*")) {
                throw new InvalidInputException("'" + db + "' is not a database name: give names such as mint_replica"
                        + " (patterns go to include/exclude)");
            }
        }
        includes.forEach(p -> includeGlobs.add(Glob.of(p)));
        excludes.forEach(p -> excludeGlobs.add(Glob.of(p)));
    }

    /** Everything but the system databases. */
    public static NamespaceFilter all() {
        return new NamespaceFilter(List.of(), List.of(), List.of());
    }

    public List<String> databases() {
        return databases;
    }

    /** Whether any collection of {@code db} may be read. */
    public boolean includesDatabase(String db) {
        if (!databases.isEmpty() && !databases.contains(db)) {
            return false;
        }
        if (!includeGlobs.isEmpty()) {
            return includeGlobs.stream().anyMatch(g -> g.matchesDatabase(db));
        }
        return !databases.isEmpty() || !SYSTEM_DATABASES.contains(db);
    }

    /** Whether {@code db.collection} is read. */
    public boolean includes(String db, String collection) {
        if (!includesDatabase(db)) {
            return false;
        }
        if (collection.startsWith("system.") && !collection.equals("system.js")) {
            return false;
        }
        if (!includeGlobs.isEmpty() && includeGlobs.stream().noneMatch(g -> g.matches(db, collection))) {
            return false;
        }
        return excludeGlobs.stream().noneMatch(g -> g.matches(db, collection));
    }

    /** A short description for the source's name: {@code mint,audit}, {@code mint.ledger*} or {@code *}. */
    public String describe() {
        List<String> parts = new ArrayList<>(databases);
        parts.addAll(includes);
        String base = parts.isEmpty() ? "*" : String.join(",", parts);
        return excludes.isEmpty() ? base : base + ",!" + String.join(",!", excludes);
    }

    private record Glob(Pattern database, Pattern collection) {
        static Glob of(String pattern) {
            if (pattern == null || pattern.isBlank()) {
                throw new InvalidInputException("an include or exclude pattern is empty: give db, db.collection or db.prefix*");
            }
            int dot = pattern.indexOf('.');
            String db = dot < 0 ? pattern : pattern.substring(0, dot);
            String coll = dot < 0 ? "*" : pattern.substring(dot + 1);
            if (db.isEmpty() || coll.isEmpty()) {
                throw new InvalidInputException("'" + pattern + "' is not a namespace pattern: give db, db.collection or db.prefix*");
            }
            return new Glob(compile(db), compile(coll));
        }

        private static Pattern compile(String glob) {
            String[] parts = glob.split("\\*", -1);
            StringBuilder re = new StringBuilder();
            for (int i = 0; i < parts.length; i++) {
                if (i > 0) {
                    re.append(".*");
                }
                if (!parts[i].isEmpty()) {
                    re.append(Pattern.quote(parts[i]));
                }
            }
            return Pattern.compile(re.toString());
        }

        boolean matchesDatabase(String db) {
            return database.matcher(db).matches();
        }

        boolean matches(String db, String coll) {
            return database.matcher(db).matches() && collection.matcher(coll).matches();
        }
    }
}
