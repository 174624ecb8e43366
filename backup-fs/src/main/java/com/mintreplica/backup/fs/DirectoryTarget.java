package com.mintreplica.backup.fs;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.PositionalFiles;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.fs.internal.TreeWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Restores directory snapshots: into another directory ({@link #to(Path)}: entry {@code etc/mint/app.yaml} becomes
 * {@code DIR/etc/mint/app.yaml}) or to where the files came from ({@link #original()}).
 *
 * <ul>
 *   <li>Each file is written to a temporary name in its directory and renamed into place only when its content is
 *       complete and checked, so a failed or corrupt restore never leaves a partial file under a real name.</li>
 *   <li>Permissions and modification times are restored; owner and group too when running as root (by name, falling
 *       back to the numeric ids). Directory metadata is applied last, deepest first.</li>
 *   <li>An entry that would be written through a symbolic link, or outside the target, is refused: a snapshot cannot
 *       make a restore write where it should not.</li>
 *   <li>{@link #mirror(boolean)} deletes what lies under the snapshot's backed-up roots but is not in the snapshot
 *       (rsync's {@code --delete}); in a partial restore, only within the restored paths.</li>
 * </ul>
 */
public final class DirectoryTarget implements RestoreTarget {
    private final Optional<Path> directory;
    private final boolean mirror;
    private final boolean sparse;
    private final boolean numericOwners;
    private TreeWriter writer;

    private DirectoryTarget(Optional<Path> directory, boolean mirror, boolean sparse, boolean numericOwners) {
        this.directory = directory;
        this.mirror = mirror;
        this.sparse = sparse;
        this.numericOwners = numericOwners;
    }

    /** Restores under {@code directory}, which is created when missing. */
    public static DirectoryTarget to(Path directory) {
        Objects.requireNonNull(directory, "directory");
        return new DirectoryTarget(Optional.of(directory.toAbsolutePath().normalize()), false, true, false);
    }

    /** Restores every entry to its original absolute path. */
    public static DirectoryTarget original() {
        return new DirectoryTarget(Optional.empty(), false, true, false);
    }

    /** A copy of this target that deletes what the snapshot does not have (within its roots). */
    public DirectoryTarget mirror(boolean value) {
        return new DirectoryTarget(directory, value, sparse, numericOwners);
    }

    /**
     * A copy of this target that writes blocks of zeros as holes ({@code true}, the default: a sparse file comes back
     * sparse, and a file full of zeros takes no space) or writes every byte ({@code false}: for file systems or tools
     * that must have every block allocated).
     */
    public DirectoryTarget sparse(boolean value) {
        return new DirectoryTarget(directory, mirror, value, numericOwners);
    }

    /**
     * A copy of this target that gives restored entries (as root) their stored user and group ids ({@code true},
     * restic's and {@code tar --numeric-owner}'s way: for a container's or another machine's file system, whose names
     * mean other ids here) instead of the ids the stored names have on this machine ({@code false}, the default, tar's
     * way; an id is used when its name is unknown here).
     */
    public DirectoryTarget numericOwners(boolean value) {
        return new DirectoryTarget(directory, mirror, sparse, value);
    }

    /** The directory restored into; empty when restoring to the original locations. */
    public Optional<Path> directory() {
        return directory;
    }

    @Override
    public void begin(RestoreContext context) throws IOException {
        checkKind(context);
        writer = new TreeWriter(directory.orElse(Path.of("/")), directory.isEmpty(), mirror, sparse, numericOwners, context);
    }

    /** The dry run: nothing is created or changed; in mirror mode, each path that would be deleted is named. */
    @Override
    public void plan(RestoreContext context, java.util.Iterator<Entry> entries,
                     java.util.function.Consumer<String> wouldRemove) throws IOException {
        checkKind(context);
        TreeWriter.planner(directory.orElse(Path.of("/")), directory.isEmpty(), mirror, context).plan(entries, wouldRemove);
    }

    @Override
    public void write(Entry entry, InputStream content) throws IOException {
        writer.write(entry, content);
    }

    /**
     * Files are written in pieces: a restore reads each pack once, in order, and writes its blobs into the files that
     * need them from several threads; each file is still published under its name only when complete and checked.
     */
    private static void checkKind(RestoreContext context) {
        if (!"fs".equals(context.snapshot().source().kind())) {
            throw new InvalidInputException("snapshot " + context.snapshot().id() + " is of a "
                    + context.snapshot().source().kind() + " source, not a directory tree: restore it to a "
                    + context.snapshot().source().kind() + " target");
        }
    }

    @Override
    public Optional<PositionalFiles> positionalFiles() {
        return Optional.of(new PositionalFiles() {
            @Override
            public Content open(Entry entry, long length) throws IOException {
                return writer.open(entry, length);
            }

            @Override
            public Optional<Existing> existing(Entry entry, long length) throws IOException {
                return writer.existing(entry, length);
            }
        });
    }

    @Override
    public void finish() throws IOException {
        writer.finish();
    }

    @Override
    public void abort(Exception cause) {
        if (writer != null) {
            writer.abort();
        }
    }

    @Override
    public String toString() {
        return "DirectoryTarget[" + directory.map(Path::toString).orElse("original locations") + (mirror ? ", mirror" : "")
                + (sparse ? "" : ", not sparse") + (numericOwners ? ", numeric owners" : "") + "]";
    }
}
