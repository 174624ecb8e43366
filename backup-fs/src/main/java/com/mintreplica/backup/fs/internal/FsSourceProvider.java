package com.mintreplica.backup.fs.internal;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.fs.DirectorySource;
import com.mintreplica.backup.fs.DirectoryTarget;
import com.mintreplica.backup.core.drill.DrillSupport;
import com.mintreplica.backup.core.drill.Scratch;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Opens directory sources and targets for plain paths and {@code file:} URIs. Options: {@code exclude} and
 * {@code include} (globs, several separated by newlines) for sources; {@code mirror} ({@code true}) for targets. A
 * source of several roots takes its globs as lists. Drills restore into a new directory and hash every file
 * ({@code file-hashes}).
 */
public final class FsSourceProvider implements SourceProvider {
    @Override
    public String kind() {
        return "fs";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("file");
    }

    @Override
    public String module() {
        return "backup-fs";
    }

    @Override
    public Source source(URI location, Map<String, String> options) {
        DirectorySource.Builder b = DirectorySource.builder().root(Path.of(location));
        for (Map.Entry<String, String> o : options.entrySet()) {
            switch (o.getKey()) {
                case "exclude" -> b.excludes(lines(o.getValue()));
                case "include" -> b.includes(lines(o.getValue()));
                default -> throw new InvalidInputException("unknown option '" + o.getKey() + "' for a directory source: use exclude or include");
            }
        }
        return b.build();
    }

    @Override
    public RestoreTarget target(Optional<URI> location, Map<String, String> options) {
        DirectoryTarget target = location.map(u -> DirectoryTarget.to(Path.of(u))).orElseGet(DirectoryTarget::original);
        for (Map.Entry<String, String> o : options.entrySet()) {
            if (o.getKey().equals("mirror")) {
                target = target.mirror(Boolean.parseBoolean(o.getValue()));
            } else if (o.getKey().equals("sparse")) {
                target = target.sparse(Boolean.parseBoolean(o.getValue()));
            } else if (o.getKey().equals("numeric-owner")) {
                target = target.numericOwners(Boolean.parseBoolean(o.getValue()));
            } else {
                throw new InvalidInputException("unknown option '" + o.getKey() + "' for a directory target: use mirror,"
                        + " sparse or numeric-owner");
            }
        }
        return target;
    }

    @Override
    public Source source(List<URI> locations, List<String> include, List<String> exclude, Map<String, String> options) {
        if (!options.isEmpty()) {
            throw new InvalidInputException("unknown options " + options.keySet() + " for a directory source of several"
                    + " roots: give exclude and include as lists");
        }
        return DirectorySource.builder().roots(locations.stream().map(Path::of).toList()).excludes(exclude)
                .includes(include).build();
    }

    @Override
    public Optional<DrillSupport> drills() {
        return Optional.of(new DrillSupport() {
            @Override
            public Set<String> checks() {
                return Set.of(DirectoryScratch.FILE_HASHES);
            }

            @Override
            public boolean directoryTarget() {
                return true;
            }

            @Override
            public Scratch scratch(Request request) throws IOException {
                Path base = request.target().map(Path::of).orElse(request.tempDir());
                return DirectoryScratch.create(base, request.drill(), request.entries(),
                        request.checks().contains(DirectoryScratch.FILE_HASHES));
            }
        });
    }

    @Override
    public String targetExample() {
        return "a directory";
    }

    private static java.util.List<String> lines(String value) {
        return Arrays.stream(value.split("\n")).filter(s -> !s.isBlank()).toList();
    }
}
