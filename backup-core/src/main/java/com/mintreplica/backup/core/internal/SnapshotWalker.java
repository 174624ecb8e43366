package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.source.EntryType;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * The entries of a snapshot, one at a time, in the order the Source emitted them (parents before children). A tree
 * snapshot is walked depth first, loading a directory's tree blob only when the walk enters it, so memory is bounded
 * by the depth times the width of the tree, never by the number of entries. A flat (version 1 or 2) snapshot is the
 * list its object holds.
 *
 * <p>Options: a {@linkplain #selection selection} skips whole subtrees (a restore of some paths never loads the
 * others); a set of {@linkplain #visited visited trees} walks a subtree shared by many snapshots once (prune and
 * verify); a {@linkplain #onTree tree listener} hears of every tree blob reached.
 */
public final class SnapshotWalker implements Iterator<Manifest.Item> {
    /** Loads a tree blob; a restore shares a cache between the walker that fetches ahead and the one that writes. */
    @FunctionalInterface
    public interface Loader {
        TreeFormat.Node load(BlobId id, String directory);
    }

    private final Store store;
    private final Manifest manifest;
    private Predicate<String> selection = path -> true;
    private Predicate<String> descend = path -> true;
    private IdSet visited;
    private BiConsumer<BlobId, String> onTree = (id, path) -> { };
    private Loader loader;
    private Unreadable unreadable;
    private boolean started;
    private Iterator<Manifest.Item> flat;
    private final Deque<Frame> stack = new ArrayDeque<>();
    private Manifest.Item next;

    /** Hears of a tree blob that cannot be read; the walk then goes on without it. */
    @FunctionalInterface
    public interface Unreadable {
        void tree(BlobId id, String path, CorruptDataException problem);
    }

    private static final class Frame {
        final List<TreeFormat.Child> children;
        int index;

        Frame(List<TreeFormat.Child> children) {
            this.children = children;
        }
    }

    private SnapshotWalker(Store store, Manifest manifest) {
        this.store = store;
        this.manifest = manifest;
        this.loader = store::readTree;
    }

    public static SnapshotWalker of(Store store, Manifest manifest) {
        return new SnapshotWalker(store, manifest);
    }

    /**
     * Walks only paths {@code selection} accepts; a directory it rejects is not entered. It must accept the
     * directories above every path it accepts (as {@code Restore}'s selection does).
     */
    public SnapshotWalker selection(Predicate<String> value) {
        this.selection = value;
        return this;
    }

    /**
     * Enters only the directories {@code value} accepts among those the selection accepts; the others are still
     * walked past as entries (`ls` of one directory lists its subdirectories without reading their listings).
     */
    public SnapshotWalker descend(Predicate<String> value) {
        this.descend = value;
        return this;
    }

    /** Enters a tree only when {@code value} did not hold its id yet (and adds it). */
    public SnapshotWalker visited(IdSet value) {
        this.visited = value;
        return this;
    }

    /** Told of every tree blob the walk reaches (the root with path ""), entered or not. */
    public SnapshotWalker onTree(BiConsumer<BlobId, String> value) {
        this.onTree = value;
        return this;
    }

    public SnapshotWalker loader(Loader value) {
        this.loader = value;
        return this;
    }

    /**
     * Goes on past trees that cannot be read, telling {@code value} of each (verify); without it such a tree ends the
     * walk with a {@link CorruptDataException}.
     */
    public SnapshotWalker onUnreadable(Unreadable value) {
        this.unreadable = value;
        return this;
    }

    private void enter(BlobId id, String path) {
        TreeFormat.Node node;
        try {
            node = loader.load(id, path);
        } catch (CorruptDataException e) {
            if (unreadable == null) {
                throw e;
            }
            unreadable.tree(id, path, e);
            return;
        }
        stack.push(new Frame(node.children()));
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            next = advance();
        }
        return next != null;
    }

    @Override
    public Manifest.Item next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Manifest.Item out = next;
        next = null;
        return out;
    }

    /** Walks to the end, handing every entry to {@code action}. */
    public void forEach(java.util.function.Consumer<Manifest.Item> action) {
        while (hasNext()) {
            action.accept(next());
        }
    }

    private Manifest.Item advance() {
        if (!started) {
            started = true;
            if (manifest.isTree()) {
                BlobId root = manifest.tree().get();
                onTree.accept(root, "");
                if (visited == null || visited.add(root)) {
                    enter(root, "");
                }
            } else {
                flat = manifest.items().iterator();
            }
        }
        if (flat != null) {
            while (flat.hasNext()) {
                Manifest.Item item = flat.next();
                if (selection.test(item.entry().path())) {
                    return item;
                }
            }
            return null;
        }
        while (!stack.isEmpty()) {
            Frame frame = stack.peek();
            if (frame.index >= frame.children.size()) {
                stack.pop();
                continue;
            }
            TreeFormat.Child child = frame.children.get(frame.index++);
            String path = child.item().entry().path();
            if (!selection.test(path)) {
                continue;
            }
            if (child.isDirectory() && descend.test(path)) {
                BlobId subtree = child.subtree().get();
                onTree.accept(subtree, path);
                if (visited == null || visited.add(subtree)) {
                    enter(subtree, path);
                }
            }
            if (!child.implicit()) {
                return child.item();
            }
        }
        return null;
    }

    /**
     * The entry at {@code path}, found by descending the trees (only the directories on the way are loaded); an
     * implicit directory is found too, as an item of a directory entry without metadata.
     */
    public static Optional<Manifest.Item> find(Store store, Manifest manifest, String path) {
        if (!manifest.isTree()) {
            return manifest.items().stream().filter(i -> i.entry().path().equals(path)).findFirst();
        }
        TreeFormat.Node node = store.readTree(manifest.tree().get(), "");
        String[] segments = path.split("/");
        String directory = "";
        for (int i = 0; i < segments.length; i++) {
            TreeFormat.Child child = node.child(segments[i]);
            if (child == null) {
                return Optional.empty();
            }
            if (i == segments.length - 1) {
                return Optional.of(child.item());
            }
            if (!child.isDirectory()) {
                return Optional.empty();
            }
            directory = directory.isEmpty() ? segments[i] : directory + "/" + segments[i];
            node = store.readTree(child.subtree().get(), directory);
        }
        return Optional.empty();
    }

    /** Whether the snapshot has {@code path} or anything below it. */
    public static boolean hasPathOrBelow(Store store, Manifest manifest, String path) {
        if (!manifest.isTree()) {
            return manifest.items().stream().map(i -> i.entry().path())
                    .anyMatch(p -> p.equals(path) || p.startsWith(path + "/"));
        }
        return find(store, manifest, path).isPresent();
    }

    /** The blob ids of the regular, chunked entries of {@code items}, in order. */
    public static Iterator<BlobId> blobsOf(Iterator<Manifest.Item> items) {
        return new Iterator<>() {
            private Iterator<BlobId> current = java.util.Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext()) {
                    if (!items.hasNext()) {
                        return false;
                    }
                    Manifest.Item item = items.next();
                    if (item.entry().type() == EntryType.REGULAR && item.object().isEmpty()) {
                        current = item.blobs().iterator();
                    }
                }
                return true;
            }

            @Override
            public BlobId next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
    }

    /**
     * A small cache of parsed tree blobs, bounded by their encoded size, for walkers that load the same trees one
     * shortly after the other (a restore's fetch-ahead walker and its writing walker). Not thread-safe.
     */
    public static final class Cache implements Loader {
        private final Store store;
        private final long maxBytes;
        private long bytes;
        private final Map<Key, Sized> nodes = new LinkedHashMap<>(16, 0.75f, true);

        /** Entries carry their full paths, so the same tree blob under two directories parses to two nodes. */
        private record Key(BlobId id, String directory) {
        }

        private record Sized(TreeFormat.Node node, long bytes) {
        }

        public Cache(Store store, long maxBytes) {
            this.store = store;
            this.maxBytes = maxBytes;
        }

        @Override
        public TreeFormat.Node load(BlobId id, String directory) {
            Key key = new Key(id, directory);
            Sized hit = nodes.get(key);
            if (hit != null) {
                return hit.node();
            }
            TreeFormat.Node node = store.readTree(id, directory);
            Sized sized = new Sized(node, TreeFormat.heldBytes(node,
                    store.index().find(id).map(BlobLocation::plainLength).orElse(0)));
            nodes.put(key, sized);
            bytes += sized.bytes();
            Iterator<Map.Entry<Key, Sized>> oldest = nodes.entrySet().iterator();
            while (bytes > maxBytes && oldest.hasNext()) {
                Map.Entry<Key, Sized> e = oldest.next();
                if (e.getKey().equals(key)) {
                    continue;
                }
                bytes -= e.getValue().bytes();
                oldest.remove();
            }
            return node;
        }
    }
}
