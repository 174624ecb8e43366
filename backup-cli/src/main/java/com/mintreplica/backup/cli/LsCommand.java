package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import com.mintreplica.backup.core.source.FileNames;
import java.util.concurrent.Callable;
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

    @Option(names = "--json", description = "Print a JSON array of entries.")
    boolean json;

    @Override
    public Integer call() {
        try (Repository repo = repository.open(root)) {
            Snapshot s = repo.snapshot(SnapshotSelector.parse(snapshot));
            // Entry by entry as the snapshot's directories are read: a listing of millions needs no more memory.
            if (json) {
                try (Json.ArrayWriter out = new Json.ArrayWriter(root.out)) {
                    repo.forEachEntry(s, e -> out.write(Json.entry(e)));
                }
                return MintBackup.OK;
            }
            repo.forEachEntry(s, e -> root.out.println(line(e)));
        }
        return MintBackup.OK;
    }

    /** An entry as `ls -l` shows one: type, mode, size, time, path, and where a link points. */
    static String line(com.mintreplica.backup.core.source.Entry e) {
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
