package com.mintreplica.backup.fs.internal;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Walks the roots depth-first in sorted name order, one directory listing in memory per level. With includes,
 * directory entries wait on a stack until something below them is emitted (or they match themselves).
 */
public final class TreeReader implements SourceReader {
    private final List<Path> roots;
    private final List<PathMatcher> includes;
    private final List<PathMatcher> excludes;
    private final BackupContext context;
    private final Iterator<Path> rootIterator;
    /** The directories above the roots (few), and which of them were emitted: never every path of the tree. */
    private final Set<String> aboveRoots = new HashSet<>();
    private final Set<String> emitted = new HashSet<>();
    private final Deque<Frame> stack = new ArrayDeque<>();
    private final Deque<Entry> pendingOut = new ArrayDeque<>();
    private final Map<String, String> facts = new TreeMap<>();
    private final FileAttributes.Names names = new FileAttributes.Names();
    private Path currentRoot;
    private int rootNumber;

    /** A directory being walked: its remaining children, and its entry if not yet emitted. */
    private static final class Frame {
        final Path directory;
        final Iterator<Path> children;
        Entry pendingEntry;
        final boolean included;

        Frame(Path directory, Iterator<Path> children, Entry pendingEntry, boolean included) {
            this.directory = directory;
            this.children = children;
            this.pendingEntry = pendingEntry;
            this.included = included;
        }
    }

    public TreeReader(List<Path> roots, List<String> includes, List<String> excludes, BackupContext context) {
        this.roots = roots;
        this.includes = includes.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
        this.excludes = excludes.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
        this.context = context;
        for (Path root : roots) {
            checkReadable(root);
            for (Path p = root.getParent(); p != null && p.getParent() != null; p = p.getParent()) {
                aboveRoots.add(entryPath(p));
            }
        }
        this.rootIterator = roots.iterator();
    }

    private static void checkReadable(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidInputException("cannot back up '" + root + "': no such file or directory");
        }
        if (!Files.isReadable(root)) {
            throw new AccessDeniedException("cannot back up '" + root + "': permission denied (run as a user who can read it)");
        }
    }

    @Override
    public Optional<SourceEntry> next() throws IOException {
        while (true) {
            if (!pendingOut.isEmpty()) {
                return Optional.of(toSourceEntry(pendingOut.removeFirst()));
            }
            if (stack.isEmpty()) {
                if (!rootIterator.hasNext()) {
                    return Optional.empty();
                }
                startRoot(rootIterator.next());
                continue;
            }
            Frame frame = stack.peek();
            if (!frame.children.hasNext()) {
                stack.pop();
                continue;
            }
            visit(frame.children.next(), frame.included);
        }
    }

    private void startRoot(Path root) throws IOException {
        currentRoot = root;
        String rootPath = entryPath(root);
        facts.put("fs.root." + rootNumber++, rootPath.isEmpty() ? "/" : rootPath);
        // The directories above the root, so a restore rebuilds them with their metadata.
        Path parent = root.getParent();
        List<Path> ancestors = new ArrayList<>();
        while (parent != null && parent.getParent() != null) {
            ancestors.add(0, parent);
            parent = parent.getParent();
        }
        for (Path ancestor : ancestors) {
            String p = entryPath(ancestor);
            if (markEmitted(p)) {
                FileAttributes a = FileAttributes.read(ancestor, names);
                if (a.kind() == FileAttributes.Kind.DIRECTORY) {
                    pendingOut.add(entry(p, a, EntryType.DIRECTORY, null));
                }
            }
        }
        if (rootPath.isEmpty()) {
            // backing up "/": its children are the top level
            stack.push(new Frame(root, list(root), null, includes.isEmpty()));
            return;
        }
        visit(root, includes.isEmpty());
    }

    private void visit(Path path, boolean parentIncluded) throws IOException {
        String p = entryPath(path);
        if (isExcluded(path)) {
            return;
        }
        FileAttributes a;
        try {
            a = FileAttributes.read(path, names);
        } catch (NoSuchFileException vanished) {
            context.warn(p, "vanished before it could be read; not in this snapshot");
            return;
        } catch (java.nio.file.AccessDeniedException denied) {
            context.warn(p, "cannot be read (permission denied); not in this snapshot");
            return;
        }
        boolean included = parentIncluded || matchesInclude(path);
        switch (a.kind()) {
            case DIRECTORY -> {
                Entry entry = entry(p, a, EntryType.DIRECTORY, null);
                Iterator<Path> children;
                try {
                    children = list(path);
                } catch (java.nio.file.AccessDeniedException denied) {
                    context.warn(p, "directory cannot be listed (permission denied); its contents are not in this snapshot");
                    children = List.<Path>of().iterator();
                } catch (NoSuchFileException vanished) {
                    context.warn(p, "vanished before it could be read; not in this snapshot");
                    return;
                }
                if (included) {
                    emitAncestors();
                    markEmitted(p);
                    pendingOut.add(entry);
                    stack.push(new Frame(path, children, null, true));
                } else {
                    stack.push(new Frame(path, children, entry, false));
                }
            }
            case REGULAR -> {
                if (included) {
                    emitAncestors();
                    pendingOut.add(entry(p, a, EntryType.REGULAR, null));
                }
            }
            case SYMLINK -> {
                if (included) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(path).toString();
                    } catch (NoSuchFileException vanished) {
                        context.warn(p, "vanished before it could be read; not in this snapshot");
                        return;
                    }
                    emitAncestors();
                    pendingOut.add(entry(p, a, EntryType.SYMLINK, target));
                }
            }
            case OTHER -> context.warn(p, "is a socket, FIFO or device file; skipped");
        }
    }

    /** Emits the directory entries that waited for something below them to be included. */
    private void emitAncestors() {
        Iterator<Frame> bottomUp = stack.descendingIterator();
        while (bottomUp.hasNext()) {
            Frame f = bottomUp.next();
            if (f.pendingEntry != null) {
                markEmitted(f.pendingEntry.path());
                pendingOut.add(f.pendingEntry);
                f.pendingEntry = null;
            }
        }
    }

    /** Records an emitted directory that lies above a root, so a later root does not emit it again. */
    private boolean markEmitted(String path) {
        return !aboveRoots.contains(path) || emitted.add(path);
    }

    private Iterator<Path> list(Path directory) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path child : stream) {
                children.add(child);
            }
        }
        children.sort((x, y) -> x.getFileName().toString().compareTo(y.getFileName().toString()));
        return children.iterator();
    }

    private boolean isExcluded(Path path) {
        return !excludes.isEmpty() && matches(excludes, path);
    }

    private boolean matchesInclude(Path path) {
        return matches(includes, path);
    }

    private boolean matches(List<PathMatcher> matchers, Path path) {
        Path name = path.getFileName();
        Path relative = currentRoot.getParent() == null ? path : currentRoot.getParent().relativize(path);
        Path belowRoot = path.startsWith(currentRoot) && !path.equals(currentRoot) ? currentRoot.relativize(path) : null;
        for (PathMatcher m : matchers) {
            if ((name != null && m.matches(name)) || m.matches(path) || m.matches(relative)
                    || (belowRoot != null && m.matches(belowRoot))) {
                return true;
            }
        }
        return false;
    }

    private static String entryPath(Path absolute) {
        String s = absolute.toString();
        return s.startsWith("/") ? s.substring(1) : s;
    }

    private Entry entry(String path, FileAttributes a, EntryType type, String linkTarget) {
        Entry.Builder b = Entry.builder(path, type).modified(a.modified().toInstant());
        if (a.mode() >= 0) {
            b.mode(a.mode());
        }
        if (a.uid() != null) {
            b.uid(a.uid());
        }
        if (a.gid() != null) {
            b.gid(a.gid());
        }
        if (a.owner() != null) {
            b.owner(a.owner());
        }
        if (a.group() != null) {
            b.group(a.group());
        }
        if (type == EntryType.REGULAR) {
            b.size(a.size()).changeToken(a.changeToken());
        }
        if (linkTarget != null) {
            b.linkTarget(linkTarget);
        }
        return b.build();
    }

    private SourceEntry toSourceEntry(Entry entry) {
        Path file = Path.of("/" + entry.path());
        return SourceEntry.of(entry, () -> new ChangeDetectingStream(Files.newInputStream(file), file, entry));
    }

    @Override
    public Map<String, String> facts() {
        return facts;
    }

    @Override
    public void close() {
        stack.clear();
        pendingOut.clear();
    }

    /** Reports a file whose size or modification time changed while it was read. */
    private final class ChangeDetectingStream extends FilterInputStream {
        private final Path file;
        private final Entry entry;
        private long read;
        private boolean reported;

        ChangeDetectingStream(InputStream in, Path file, Entry entry) {
            super(in);
            this.file = file;
            this.entry = entry;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b < 0) {
                atEnd();
            } else {
                read++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n < 0) {
                atEnd();
            } else {
                read += n;
            }
            return n;
        }

        private void atEnd() {
            if (reported) {
                return;
            }
            reported = true;
            try {
                FileAttributes now = FileAttributes.read(file, names);
                boolean changed = entry.size().orElse(-1) != read || now.size() != read
                        || !entry.modified().equals(Optional.of(now.modified().toInstant()));
                if (changed) {
                    context.warn(entry.path(), "changed while it was read: the snapshot holds the " + read
                            + " bytes read, which may mix old and new content");
                }
            } catch (IOException e) {
                context.warn(entry.path(), "vanished while it was read: the snapshot holds the " + read + " bytes read");
            }
        }
    }
}
