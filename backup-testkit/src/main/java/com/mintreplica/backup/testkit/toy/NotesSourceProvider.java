package com.mintreplica.backup.testkit.toy;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.RestoreResult;
import com.mintreplica.backup.core.drill.DrillCheck;
import com.mintreplica.backup.core.drill.DrillSupport;
import com.mintreplica.backup.core.drill.Preflight;
import com.mintreplica.backup.core.drill.Scratch;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/** The {@code notes} toy kind's provider (see the package documentation). */
public final class NotesSourceProvider implements SourceProvider {
    /** The kind snapshots record. */
    public static final String KIND = "notes";
    /** Where the password of a protected notes directory is read from. */
    public static final String PASSWORD_VARIABLE = "MINT_BACKUP_NOTES_PASSWORD";
    /** The drill check: as many notes restored as the backup counted. */
    public static final String NOTE_COUNT = "note-count";
    private static final String SUFFIX = ".note";

    private final Map<String, String> environment;

    public NotesSourceProvider() {
        this(Map.of());
    }

    private NotesSourceProvider(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Set<String> schemes() {
        return Set.of(KIND);
    }

    @Override
    public String module() {
        return "backup-testkit";
    }

    @Override
    public SourceProvider withEnvironment(Map<String, String> value) {
        return new NotesSourceProvider(value);
    }

    @Override
    public Optional<String> passwordVariable() {
        return Optional.of(PASSWORD_VARIABLE);
    }

    /** The directory of a {@code notes:} location. */
    public static Path directory(URI location) {
        if (!KIND.equals(location.getScheme()) || location.getPath() == null || location.getPath().isEmpty()) {
            throw new InvalidInputException("'" + location + "' is not a notes location: give notes:///absolute/dir");
        }
        return Path.of(location.getPath());
    }

    @Override
    public Source source(URI location, Map<String, String> options) {
        if (!options.isEmpty()) {
            throw new InvalidInputException("a notes source takes no options; given " + options.keySet());
        }
        Path dir = directory(location);
        return new Source() {
            @Override
            public SourceId id() {
                return new SourceId(KIND, dir.toString());
            }

            @Override
            public SourceReader open(BackupContext context) throws IOException {
                login(dir, environment);
                List<Path> notes = notes(dir);
                Iterator<Path> it = notes.iterator();
                return new SourceReader() {
                    @Override
                    public Optional<SourceEntry> next() throws IOException {
                        if (!it.hasNext()) {
                            return Optional.empty();
                        }
                        Path note = it.next();
                        Entry entry = Entry.regular(note.getFileName().toString()).size(Files.size(note)).build();
                        return Optional.of(SourceEntry.of(entry, () -> Files.newInputStream(note)));
                    }

                    @Override
                    public Map<String, String> facts() {
                        return Map.of("notes.count", Integer.toString(notes.size()));
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }

    @Override
    public RestoreTarget target(Optional<URI> location, Map<String, String> options) {
        return new NotesTarget(directory(location.orElseThrow(() -> new InvalidInputException(
                "a notes restore needs a notes: location"))));
    }

    @Override
    public Optional<DrillSupport> drills() {
        return Optional.of(new DrillSupport() {
            @Override
            public Set<String> checks() {
                return Set.of(NOTE_COUNT);
            }

            @Override
            public boolean directoryTarget() {
                return false;
            }

            @Override
            public Scratch scratch(Request request) throws IOException {
                Path original = directory(URI.create(request.target().or(request::sourceLocation).orElseThrow()));
                Path scratch = original.resolveSibling(original.getFileName() + "_drill_"
                        + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
                if (scratch.equals(original) || Files.exists(scratch)) {
                    throw new InvalidInputException("the drill's notes directory " + scratch + " exists");
                }
                String counted = request.snapshot().facts().getOrDefault("notes.count", "?");
                return new NotesScratch(scratch, counted, request.checks().contains(NOTE_COUNT));
            }
        });
    }

    @Override
    public Optional<Preflight> preflight() {
        return Optional.of((location, options, env, field) -> {
            Path dir = directory(location);
            if (!Files.isDirectory(dir)) {
                return List.of(Preflight.Finding.problem("notes", dir + " is not a directory", "create it, or correct "
                        + field + ".location"));
            }
            try {
                login(dir, env);
            } catch (AccessDeniedException e) {
                return List.of(Preflight.Finding.problem("notes", e.getMessage(), "give the password in " + field
                        + ".password"));
            }
            return List.of(Preflight.Finding.ok("notes", notes(dir).size() + " notes in " + dir + " can be read"));
        });
    }

    @Override
    public String targetExample() {
        return "a notes directory such as notes:///var/notes-restored";
    }

    private static void login(Path dir, Map<String, String> environment) throws IOException {
        Path file = dir.resolve(".password");
        if (!Files.exists(file)) {
            return;
        }
        String expected = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (!expected.equals(environment.get(PASSWORD_VARIABLE))) {
            throw new AccessDeniedException("the notes in " + dir + " are protected and the password given is "
                    + (environment.containsKey(PASSWORD_VARIABLE) ? "wrong" : "missing"));
        }
    }

    private static List<Path> notes(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
    }

    /** Writes notes into a directory it creates (never over one that exists). */
    private static final class NotesTarget implements RestoreTarget {
        private final Path dir;
        private final List<String> written = new ArrayList<>();

        NotesTarget(Path dir) {
            this.dir = dir;
        }

        @Override
        public void begin(RestoreContext context) throws IOException {
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new InvalidInputException(dir + " is not a directory");
            }
            Files.createDirectories(dir);
        }

        @Override
        public void write(Entry entry, InputStream content) throws IOException {
            if (entry.type() != EntryType.REGULAR || entry.path().contains("/")) {
                throw new InvalidInputException("a notes snapshot holds only notes; " + entry.path() + " is not one");
            }
            Path tmp = dir.resolve(entry.path() + ".tmp");
            Files.copy(content, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, dir.resolve(entry.path()), StandardCopyOption.ATOMIC_MOVE);
            written.add(entry.path());
        }

        @Override
        public void finish() {
        }
    }

    /** A new notes directory beside the job's; removed with everything in it. */
    private static final class NotesScratch implements Scratch {
        private final Path dir;
        private final String counted;
        private final boolean countCheck;
        private final NotesTarget target;

        NotesScratch(Path dir, String counted, boolean countCheck) {
            this.dir = dir;
            this.counted = counted;
            this.countCheck = countCheck;
            this.target = new NotesTarget(dir);
        }

        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public String describe() {
            return "notes:" + dir;
        }

        @Override
        public Optional<Path> directory() {
            return Optional.of(dir);
        }

        @Override
        public List<Part> parts() {
            return List.of(new Part(List.of(), target));
        }

        @Override
        public List<DrillCheck> checks(Optional<RestoreResult> result, Optional<Exception> failure) {
            if (!countCheck) {
                return List.of();
            }
            if (failure.isPresent()) {
                return List.of(DrillCheck.skipped(NOTE_COUNT, "the restore failed"));
            }
            int restored;
            try {
                restored = notes(dir).size();
            } catch (IOException e) {
                return List.of(DrillCheck.failed(NOTE_COUNT, "cannot list " + dir + ": " + e.getMessage()));
            }
            String text = restored + " notes restored, " + counted + " counted by the backup";
            return List.of(Integer.toString(restored).equals(counted) ? DrillCheck.passed(NOTE_COUNT, text)
                    : DrillCheck.failed(NOTE_COUNT, text));
        }

        @Override
        public String remove() throws IOException {
            if (!Files.exists(dir)) {
                return "nothing to remove";
            }
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
            return "deleted " + dir;
        }
    }
}
