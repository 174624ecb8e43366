package com.mintreplica.backup.fs.internal;

import com.mintreplica.backup.core.AccessDeniedException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.ExtendedAttribute;
import com.mintreplica.backup.core.source.FileNames;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceReader;
import com.mintreplica.backup.core.source.UnreadableEntryException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Walks the roots depth-first in name order (names compared as bytes), one directory listing in memory per level.
 * With includes, directory entries wait on a stack until something below them is emitted (or they match themselves).
 *
 * <p>Every path is handled as the {@link Path} the listing gave (which keeps the name's bytes) together with its
 * bytes, never rebuilt from a string, so names that the JVM's locale cannot decode are read as well as any.
 */
public final class TreeReader implements SourceReader {
    private final Globs includes;
    private final Globs excludes;
    private final BackupContext context;
    private final Iterator<Path> rootIterator;
    /**
     * The emitted paths that a later root could emit again: the directories above the roots (few), or, only when one
     * root lies inside another, every path. Never every path of an ordinary backup, whose memory must not grow with
     * the tree.
     */
    private final Set<String> emitted = new HashSet<>();
    private final Set<String> aboveRoots = new HashSet<>();
    private final boolean overlapping;
    private final Deque<Frame> stack = new ArrayDeque<>();
    private final Deque<Out> pendingOut = new ArrayDeque<>();
    private final Map<String, String> facts = new TreeMap<>();
    private final FileAttributes.Names names = new FileAttributes.Names();
    private final Optional<Posix> posix = Posix.get();
    /** The first emitted path of each file with several links, by device and inode. */
    private final Map<Long, Map<Long, String>> linkFirsts = new HashMap<>();
    private Path currentRoot;
    /** Small files ahead are read into the page cache while the walk reads files (see {@link Prefetcher}). */
    private Prefetcher prefetcher;
    private boolean prefetchTried;
    private boolean lastFileOpened;
    private int rootNumber;
    private String firstSocket;
    private int sockets;

    /** A path as listed, and its bytes. */
    private record Node(Path path, byte[] bytes) {
        String entryPath() {
            return FileNames.decode(bytes, 1, bytes.length - 1);
        }
    }

    /** An entry ready to be handed out, with the path its content is read from (and that path's bytes for a file). */
    private record Out(Entry entry, Path path, byte[] bytes, boolean firstOfLinks) {
        Out(Entry entry, Path path) {
            this(entry, path, null, false);
        }
    }

    /**
     * A directory being walked: its remaining children, its entry if not yet emitted, and the descriptor its listing
     * kept open (-1 when none), through which its children are stat'ed.
     */
    private static final class Frame {
        final List<Node> children;
        final int fd;
        /** The index of the next child to visit, and the end of what was handed to the prefetcher. */
        int next;
        int prefetched;
        Entry pendingEntry;
        final boolean included;

        Frame(Listing listing, Entry pendingEntry, boolean included) {
            this.children = listing.children();
            this.fd = listing.fd();
            this.pendingEntry = pendingEntry;
            this.included = included;
        }
    }

    public TreeReader(List<Path> roots, List<String> includes, List<String> excludes, BackupContext context) {
        this.includes = Globs.of(includes);
        this.excludes = Globs.of(excludes);
        this.context = context;
        // The snapshot keeps its rules: a restore with --mirror leaves alone what they kept out of it.
        for (int i = 0; i < excludes.size(); i++) {
            facts.put(Globs.EXCLUDE_FACT + i, excludes.get(i));
        }
        for (int i = 0; i < includes.size(); i++) {
            facts.put(Globs.INCLUDE_FACT + i, includes.get(i));
        }
        List<Path> absolute = new ArrayList<>();
        for (Path root : roots) {
            checkRoot(root);
            absolute.add(root.toAbsolutePath().normalize());
            // As startRoot names them.
            byte[] bytes = PathBytes.parent(PathBytes.of(root));
            for (Path p = root.getParent(); p != null && p.getParent() != null; p = p.getParent()) {
                aboveRoots.add(new Node(p, bytes).entryPath());
                bytes = PathBytes.parent(bytes);
            }
        }
        boolean overlap = false;
        for (int i = 0; i < absolute.size() && !overlap; i++) {
            for (int j = 0; j < absolute.size(); j++) {
                if (i != j && absolute.get(j).startsWith(absolute.get(i))) {
                    overlap = true;
                    break;
                }
            }
        }
        this.overlapping = overlap;
        this.rootIterator = roots.iterator();
    }

    /**
     * A source path must be a file, a directory or a symbolic link to something; FIFOs, sockets and devices inside a
     * tree are kept, but as the path itself they are surely a mistake (reading a FIFO would block).
     */
    private static void checkRoot(Path root) {
        FileAttributes a;
        try {
            a = FileAttributes.read(root);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException("cannot back up '" + root + "': no such file or directory");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new AccessDeniedException("cannot back up '" + root + "': permission denied (run as a user who can read it)");
        } catch (IOException e) {
            throw new InvalidInputException("cannot back up '" + root + "': " + e.getMessage());
        }
        switch (a.kind()) {
            case FIFO, SOCKET, CHAR_DEVICE, BLOCK_DEVICE, OTHER -> throw new InvalidInputException("cannot back up '" + root
                    + "': it is " + a.kind().description() + "; only files and directories can be source paths"
                    + " (special files inside a backed-up directory are kept)");
            case SYMLINK -> {
                try {
                    root.toRealPath();
                } catch (NoSuchFileException e) {
                    throw new InvalidInputException("cannot back up '" + root + "': it is a symbolic link to '"
                            + readLinkQuietly(root) + "', which does not exist");
                } catch (FileSystemException e) {
                    if (String.valueOf(e.getReason()).toLowerCase(java.util.Locale.ROOT).contains("levels of symbolic links")) {
                        throw new InvalidInputException("cannot back up '" + root + "': too many levels of symbolic links"
                                + " (the link leads back to itself)");
                    }
                    throw new InvalidInputException("cannot back up '" + root + "': " + e.getMessage());
                } catch (IOException e) {
                    throw new InvalidInputException("cannot back up '" + root + "': " + e.getMessage());
                }
            }
            default -> {
            }
        }
        if (!Files.isReadable(root)) {
            throw new AccessDeniedException("cannot back up '" + root + "': permission denied (run as a user who can read it)");
        }
    }

    private static String readLinkQuietly(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "?";
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
                    reportSockets();
                    return Optional.empty();
                }
                startRoot(rootIterator.next());
                continue;
            }
            Frame frame = stack.peek();
            if (frame.next >= frame.children.size()) {
                pop();
                continue;
            }
            if (lastFileOpened) {
                prefetchAhead(frame);
            }
            visit(frame.children.get(frame.next++), frame.included, frame.fd);
        }
    }

    private void startRoot(Path root) throws IOException {
        currentRoot = root;
        byte[] rootBytes = PathBytes.of(root);
        Node rootNode = new Node(root, rootBytes);
        String rootPath = rootBytes.length == 1 ? "" : rootNode.entryPath();
        facts.put("fs.root." + rootNumber++, rootPath.isEmpty() ? "/" : rootPath);
        // The directories above the root, so a restore rebuilds them with their metadata. Their bytes are prefixes of
        // the root's.
        List<Node> ancestors = new ArrayList<>();
        Path parent = root.getParent();
        byte[] parentBytes = PathBytes.parent(rootBytes);
        while (parent != null && parent.getParent() != null) {
            ancestors.add(0, new Node(parent, parentBytes));
            parent = parent.getParent();
            parentBytes = PathBytes.parent(parentBytes);
        }
        for (Node ancestor : ancestors) {
            String p = ancestor.entryPath();
            if (markEmitted(p)) {
                FileAttributes a = FileAttributes.read(ancestor.path(), names);
                if (a.kind() == FileAttributes.Kind.DIRECTORY) {
                    pendingOut.add(new Out(entry(ancestor, p, a, EntryType.DIRECTORY, null), ancestor.path()));
                }
            }
        }
        if (rootPath.isEmpty()) {
            // backing up "/": its children are the top level
            stack.push(new Frame(list(rootNode), null, includes.isEmpty()));
            return;
        }
        visit(rootNode, includes.isEmpty(), -1);
    }

    private void pop() {
        Frame frame = stack.pop();
        if (frame.fd >= 0) {
            Fd.close(frame.fd);
        }
    }

    private void visit(Node node, boolean parentIncluded, int directoryFd) throws IOException {
        Path path = node.path();
        String p = node.entryPath();
        if (isExcluded(path)) {
            return;
        }
        FileAttributes a;
        try {
            a = FileAttributes.read(path, node.bytes(), directoryFd, names);
        } catch (NoSuchFileException vanished) {
            context.leftOut(p, "vanished before it could be read; not in this snapshot");
            return;
        } catch (java.nio.file.AccessDeniedException denied) {
            context.leftOut(p, "cannot be read (permission denied); not in this snapshot");
            return;
        } catch (IOException e) {
            if (path.equals(currentRoot)) {
                throw e;
            }
            // one entry (a name too long for the system's calls, an I/O error): the rest of the tree is backed up
            context.leftOut(p, "cannot be read (" + reason(e) + "); not in this snapshot");
            return;
        }
        boolean included = parentIncluded || matchesInclude(path);
        if (a.kind() == FileAttributes.Kind.DIRECTORY) {
            Entry entry = entry(node, p, a, EntryType.DIRECTORY, null);
            Listing children;
            try {
                children = list(node);
            } catch (java.nio.file.AccessDeniedException denied) {
                context.leftOut(p, "directory cannot be listed (permission denied); its contents are not in this snapshot");
                children = new Listing(List.of(), -1);
            } catch (NoSuchFileException vanished) {
                context.leftOut(p, "vanished before it could be read; not in this snapshot");
                return;
            } catch (IOException e) {
                if (path.equals(currentRoot)) {
                    throw e;
                }
                context.leftOut(p, "directory cannot be listed (" + reason(e) + "); its contents are not in this snapshot");
                children = new Listing(List.of(), -1);
            }
            if (included) {
                emit(new Out(entry, path));
                stack.push(new Frame(children, null, true));
            } else {
                stack.push(new Frame(children, entry, false));
            }
            return;
        }
        if (!included) {
            return;
        }
        EntryType type;
        String linkTarget = null;
        switch (a.kind()) {
            case REGULAR -> type = EntryType.REGULAR;
            case FIFO -> type = EntryType.FIFO;
            case CHAR_DEVICE -> type = EntryType.CHAR_DEVICE;
            case BLOCK_DEVICE -> type = EntryType.BLOCK_DEVICE;
            case SYMLINK -> {
                type = EntryType.SYMLINK;
                try {
                    linkTarget = readLink(node);
                } catch (NoSuchFileException vanished) {
                    context.leftOut(p, "vanished before it could be read; not in this snapshot");
                    return;
                }
            }
            case SOCKET -> {
                // As restic: a socket is made by the program that listens on it, so none is stored (one warning).
                if (sockets++ == 0) {
                    firstSocket = p;
                }
                return;
            }
            default -> {
                context.warn(p, "is " + a.kind().description() + " of a kind this tool does not know; skipped");
                return;
            }
        }
        Entry entry = entry(node, p, a, type, linkTarget);
        boolean firstOfLinks = false;
        if (a.links() > 1) {
            Map<Long, String> byInode = linkFirsts.computeIfAbsent(a.device(), d -> new HashMap<>());
            String first = byInode.putIfAbsent(a.inode(), p);
            if (first != null) {
                entry = entry.toBuilder().hardLinkTo(first).build();
            } else {
                firstOfLinks = true;
            }
        }
        emit(new Out(entry, path, node.bytes(), firstOfLinks));
    }

    private void emit(Out out) {
        emitAncestors();
        if (!markEmitted(out.entry().path())) {
            // Already in the snapshot through an overlapping root (/a and /a/b). Two different names never meet here:
            // paths are their names' bytes, mapped one to one (FileNames).
            return;
        }
        pendingOut.add(out);
    }

    private void reportSockets() {
        if (sockets > 0) {
            String others = sockets == 1 ? "" : " (and " + (sockets - 1) + " other socket" + (sockets == 2 ? "" : "s") + ")";
            context.warn(firstSocket, "is a socket; not in this snapshot" + others
                    + ": sockets are made by the program that listens on them");
            sockets = 0;
        }
    }

    private String readLink(Node node) throws IOException {
        if (posix.isPresent()) {
            try {
                return FileNames.decode(posix.get().readlink(node.bytes()));
            } catch (Posix.NativeException e) {
                if (e.errno() == Posix.ENOENT) {
                    throw new NoSuchFileException(node.path().toString());
                }
                throw e;
            }
        }
        Path target = Files.readSymbolicLink(node.path());
        String s = target.toString();
        if (s.chars().allMatch(c -> c < 0x80)) {
            return s;
        }
        byte[] bytes = PathBytes.of(target.isAbsolute() ? target : Path.of("/").resolve(target));
        return FileNames.decode(target.isAbsolute() ? bytes : Arrays.copyOfRange(bytes, 1, bytes.length));
    }

    /** Emits the directory entries that waited for something below them to be included. */
    private void emitAncestors() {
        Iterator<Frame> bottomUp = stack.descendingIterator();
        while (bottomUp.hasNext()) {
            Frame f = bottomUp.next();
            if (f.pendingEntry != null) {
                markEmitted(f.pendingEntry.path());
                pendingOut.add(new Out(f.pendingEntry, null));
                f.pendingEntry = null;
            }
        }
    }

    /** Records an emitted path a later root could emit again; false when it was emitted before. */
    private boolean markEmitted(String path) {
        return (!overlapping && !aboveRoots.contains(path)) || emitted.add(path);
    }

    /** A directory's children in name order, and its descriptor when the listing kept it open (-1 otherwise). */
    private record Listing(List<Node> children, int fd) {
    }

    /**
     * At most this many directories of the walk's stack keep their descriptor open (a deeper directory's children are
     * stat'ed by their whole path): far below any process's limit.
     */
    static final int OPEN_DIRECTORIES = 64;

    private Listing list(Node directory) throws IOException {
        List<byte[]> nameBytes = new ArrayList<>();
        int fd = -1;
        if (SourceDirectory.AVAILABLE) {
            // Listed without changing the directory's access time (which the next backup would see as a change).
            SourceDirectory.Listing listing = SourceDirectory.list(directory.path(), directory.bytes(),
                    Fd.Statx.AVAILABLE && stack.size() < OPEN_DIRECTORIES);
            fd = listing.fd();
            for (byte[] name : listing.names()) {
                nameBytes.add(name);
            }
        } else {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory.path())) {
                for (Path child : stream) {
                    nameBytes.add(PathBytes.name(child));
                }
            }
        }
        Integer[] order = new Integer[nameBytes.size()];
        long total = 0;
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            total += nameBytes.get(i).length;
        }
        Arrays.sort(order, (x, y) -> Arrays.compareUnsigned(nameBytes.get(x), nameBytes.get(y)));
        byte[] names = new byte[Math.toIntExact(total)];
        int[] ends = new int[order.length];
        int at = 0;
        for (int i = 0; i < order.length; i++) {
            byte[] name = nameBytes.get(order[i]);
            System.arraycopy(name, 0, names, at, name.length);
            at += name.length;
            ends[i] = at;
        }
        return new Listing(new Children(directory, names, ends), fd);
    }

    /**
     * A directory's children in name order, kept as their names in one array: a child's path and its bytes are made
     * when it is visited. As a {@code Path} and the bytes of its whole path each, a child took some 170 bytes of heap
     * for as long as the walk was in its directory, and a backup of 300,000 files in one directory did not fit in
     * 192 MiB; as its name, it takes the name's length and four bytes.
     */
    private static final class Children extends java.util.AbstractList<Node> implements java.util.RandomAccess {
        private final Node directory;
        private final byte[] names;
        private final int[] ends;

        Children(Node directory, byte[] names, int[] ends) {
            this.directory = directory;
            this.names = names;
            this.ends = ends;
        }

        @Override
        public Node get(int index) {
            byte[] name = Arrays.copyOfRange(names, index == 0 ? 0 : ends[index - 1], ends[index]);
            return new Node(directory.path().resolve(PathBytes.name(name)), PathBytes.child(directory.bytes(), name));
        }

        @Override
        public int size() {
            return ends.length;
        }
    }

    /** How many of a directory's next children the prefetcher is asked for at a time (see {@link Prefetcher}). */
    static final int PREFETCH_WINDOW = 32;

    /**
     * Hands the prefetcher the children after the one about to be visited, up to a window ahead, when the last file
     * handed out was read (a backup that reuses unchanged files reads none, and then nothing is asked for).
     */
    private void prefetchAhead(Frame frame) {
        if (frame.prefetched >= frame.next + PREFETCH_WINDOW / 2 || frame.next + 1 >= frame.children.size()
                || (!includes.isEmpty() && !frame.included)) {
            return;
        }
        if (prefetcher == null) {
            if (prefetchTried) {
                return;
            }
            prefetchTried = true;
            prefetcher = Prefetcher.start();
            if (prefetcher == null) {
                return;
            }
        }
        int from = Math.max(frame.prefetched, frame.next + 1);
        int to = Math.min(frame.children.size(), frame.next + PREFETCH_WINDOW);
        List<Prefetcher.Target> window = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            Node child = frame.children.get(i);
            if (!isExcluded(child.path())) {
                window.add(new Prefetcher.Target(child.path(), child.bytes()));
            }
        }
        frame.prefetched = to;
        prefetcher.offer(window);
    }

    /** Files the prefetcher asked the kernel for (for tests); 0 when it never ran. */
    long prefetched() {
        return prefetcher == null ? 0 : prefetcher.asked();
    }

    private boolean isExcluded(Path path) {
        return excludes.matches(path, currentRoot);
    }

    private boolean matchesInclude(Path path) {
        return includes.matches(path, currentRoot);
    }

    private Entry entry(Node node, String path, FileAttributes a, EntryType type, String linkTarget) {
        Entry.Builder b = Entry.builder(path, type).modified(a.modified().toInstant());
        if (a.accessed() != null) {
            b.accessed(a.accessed().toInstant());
        }
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
        if (type == EntryType.CHAR_DEVICE || type == EntryType.BLOCK_DEVICE) {
            b.device(a.rdev());
        }
        if (linkTarget != null) {
            b.linkTarget(linkTarget);
        }
        if (posix.isPresent()) {
            try {
                for (ExtendedAttribute x : posix.get().xattrs(node.bytes())) {
                    b.xattr(x);
                }
            } catch (Posix.NativeException e) {
                if (e.errno() != Posix.ENOENT) {
                    context.warn(path, "extended attributes cannot be read (" + e.getMessage() + "); stored without them");
                }
            }
        }
        return b.build();
    }

    private SourceEntry toSourceEntry(Out out) {
        Entry entry = out.entry();
        Path file = out.path();
        if (entry.type() != EntryType.REGULAR || file == null) {
            return SourceEntry.of(entry, InputStream::nullInputStream);
        }
        lastFileOpened = false;
        return SourceEntry.of(entry, () -> {
            lastFileOpened = true;
            InputStream in;
            try {
                in = SourceFileStream.open(file, out.bytes());
            } catch (NoSuchFileException | java.nio.file.AccessDeniedException e) {
                throw e;
            } catch (IOException e) {
                throw new UnreadableEntryException("cannot be read (" + reason(e) + ")", e);
            }
            return new ChangeDetectingStream(in, file, out.bytes(), entry);
        }, out.firstOfLinks());
    }

    /** What went wrong, without the path (the warning names the entry): "input/output error", "file name too long". */
    static String reason(IOException e) {
        if (e instanceof Posix.NativeException n) {
            return n.reason();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(java.util.Locale.ROOT);
        }
        return String.valueOf(e.getMessage());
    }

    @Override
    public Map<String, String> facts() {
        return facts;
    }

    @Override
    public void close() {
        while (!stack.isEmpty()) {
            pop();
        }
        pendingOut.clear();
        if (prefetcher != null) {
            prefetcher.close();
        }
    }

    /** Reports a file whose size or modification time changed while it was read. */
    private final class ChangeDetectingStream extends FilterInputStream {
        private final Path file;
        private final byte[] bytes;
        private final Entry entry;
        private long read;
        private boolean reported;

        ChangeDetectingStream(InputStream in, Path file, byte[] bytes, Entry entry) {
            super(in);
            this.file = file;
            this.bytes = bytes;
            this.entry = entry;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (NoSuchFileException | UnreadableEntryException e) {
                throw e;
            } catch (IOException e) {
                // a read error of this file (EIO on a bad sector, a /proc or /sys file that refuses reads): the backup
                // goes on without it, with a warning, as restic does
                throw new UnreadableEntryException("could not be read after " + read + " bytes (" + reason(e) + ")", e);
            }
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
                // Size and time only: one statx (or the JDK's basic view, one stat and no attribute map), no names.
                FileTime modified;
                long size;
                if (bytes != null && Fd.Statx.AVAILABLE) {
                    FileAttributes now = FileAttributes.read(file, bytes, null);
                    size = now.size();
                    modified = now.modified();
                } else {
                    java.nio.file.attribute.BasicFileAttributes now = Files.readAttributes(file,
                            java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    size = now.size();
                    modified = now.lastModifiedTime();
                }
                boolean changed = entry.size().orElse(-1) != read || size != read
                        || !entry.modified().equals(Optional.of(modified.toInstant()));
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
