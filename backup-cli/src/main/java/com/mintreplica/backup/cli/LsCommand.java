package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.FileNames;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "ls", description = "List the entries of a snapshot.")
final class LsCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "A snapshot id (or unique prefix), latest, or latest@TIME.")
    String snapshot;

    @Parameters(index = "1..*", paramLabel = "DIR", description = "List only the entries in these directories of the"
            + " snapshot (as ls prints them, a leading / allowed, as restic's ls takes them); only the listings on the"
            + " way are read.")
    List<String> directories = List.of();

    @Option(names = "--recursive", description = "With DIR: also list what is below its subdirectories.")
    boolean recursive;

    @Option(names = "--json", description = "Print a JSON array of entries.")
    boolean json;

    @Override
    public Integer call() {
        if (recursive && directories.isEmpty()) {
            throw new InvalidInputException("--recursive goes with one or more DIR arguments; without them ls lists every"
                    + " entry of the snapshot");
        }
        try (Repository repo = repository.open(root)) {
            Snapshot s = repo.snapshot(SnapshotSelector.parse(snapshot));
            // Entry by entry as the snapshot's directories are read: a listing of millions needs no more memory.
            if (json) {
                try (Json.ArrayWriter out = new Json.ArrayWriter(root.out)) {
                    forEach(repo, s, e -> out.write(Json.entry(e)));
                }
                return MintBackup.OK;
            }
            forEach(repo, s, e -> root.out.println(line(e)));
        }
        return MintBackup.OK;
    }

    private void forEach(Repository repo, Snapshot s, Consumer<Entry> action) {
        if (directories.isEmpty()) {
            repo.forEachEntry(s, action);
            return;
        }
        for (String directory : directories) {
            repo.forEachEntryIn(s, directory, recursive, action);
        }
    }

    /** An entry as `ls -l` shows one: type, mode, size, time, path, and where a link points. */
    static String line(Entry e) {
        String type = switch (e.type()) {
            case REGULAR -> "-";
            case DIRECTORY -> "d";
            case SYMLINK -> "l";
            case FIFO -> "p";
            case CHAR_DEVICE -> "c";
            case BLOCK_DEVICE -> "b";
        };
        String mode = e.mode().isPresent() ? String.format("%04o", e.mode().getAsInt()) : "    ";
        String size = e.size().isPresent() ? Format.bytes(e.size().getAsLong()) : "";
        String time = e.modified().map(Format::time).orElse("");
        String link = e.linkTarget().map(t -> " -> " + FileNames.display(t))
                .or(() -> e.hardLinkTo().map(t -> " => " + FileNames.display(t))).orElse("");
        if (e.device().isPresent()) {
            long rdev = e.device().getAsLong();
            // major, minor as glibc's gnu_dev_major/gnu_dev_minor decode them
            size = (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & 0xfffff000L)) + ", "
                    + ((rdev & 0xff) | ((rdev >>> 12) & 0xffffff00L));
        }
        return String.format("%s %s %10s  %-19s  %s%s", type, mode, size, time, FileNames.display(e.path()), link);
    }
}
