package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.source.Entry;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The entries of snapshots whose paths a predicate accepts (restic's {@code find}), walking each snapshot's trees
 * depth first. A subtree found to hold no match is remembered by its path and tree id for the snapshots after it (a
 * series of snapshots of one tree shares most of its subtrees, at the same paths), up to {@link #REMEMBERED} of them:
 * a search through a year of daily snapshots reads each directory version once, not once per snapshot.
 */
public final class SnapshotFinder {
    /**
     * At most this many subtrees without a match are remembered, some 200 bytes each (their path and id): about 13 MiB.
     * A year of daily snapshots of a tree whose thousands of directories change daily would otherwise fill a small
     * heap; past the limit the search reads what it meets, as without remembering.
     */
    static final int REMEMBERED = 1 << 16;

    private final Store store;
    private final Predicate<String> matches;
    private final Set<String> withoutMatch = new HashSet<>();

    public SnapshotFinder(Store store, Predicate<String> matches) {
        this.store = store;
        this.matches = matches;
    }

    /** A directory being walked: its listing, how far, and whether anything below it matched. */
    private static final class Frame {
        final List<TreeFormat.Child> children;
        final String key;
        int index;
        boolean found;

        Frame(List<TreeFormat.Child> children, String key) {
            this.children = children;
            this.key = key;
        }
    }

    /** Hands every matching entry of {@code manifest} to {@code found}, in the snapshot's order; returns how many. */
    public long find(Manifest manifest, Consumer<Entry> found) {
        long n = 0;
        if (!manifest.isTree()) {
            for (Manifest.Item item : manifest.items()) {
                if (matches.test(item.entry().path())) {
                    found.accept(item.entry());
                    n++;
                }
            }
            return n;
        }
        Deque<Frame> stack = new ArrayDeque<>();
        stack.push(new Frame(store.readTree(manifest.tree().get(), "").children(), null));
        while (!stack.isEmpty()) {
            Frame frame = stack.peek();
            if (frame.index >= frame.children.size()) {
                stack.pop();
                if (frame.found && !stack.isEmpty()) {
                    stack.peek().found = true;
                } else if (!frame.found && frame.key != null && withoutMatch.size() < REMEMBERED) {
                    withoutMatch.add(frame.key);
                }
                continue;
            }
            TreeFormat.Child child = frame.children.get(frame.index++);
            String path = child.item().entry().path();
            if (!child.implicit() && matches.test(path)) {
                found.accept(child.item().entry());
                frame.found = true;
                n++;
            }
            if (child.isDirectory()) {
                String key = path + "\u0000" + child.subtree().get();
                if (!withoutMatch.contains(key)) {
                    stack.push(new Frame(store.readTree(child.subtree().get(), path).children(), key));
                }
            }
        }
        return n;
    }
}
