package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.SnapshotDiff;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import com.mintreplica.backup.core.source.ExtendedAttribute;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Compares two snapshots without reading a data blob: content is compared by blob ids (or a single object's name),
 * which name the content.
 *
 * <p>Two tree snapshots (version 3) are compared as restic's {@code diff} does: directory by directory from the roots,
 * each pair of listings merged by name, so changes come in path order (a directory before what is in it, the entries
 * of a directory by name) and a subtree whose tree id is the same in both is not entered. Memory: the listings of the
 * directories on the current path, as a restore's walk.
 *
 * <p>Other pairs (a flat snapshot of version 1 or 2 on either side) are compared in bounded memory too: the older
 * one's entries become 32 bytes each (a 128-bit key of the path, a 64-bit fingerprint of the content and one of the
 * metadata, sorted by key), the newer one is walked against them, and the older one is walked again for what the
 * newer lacks (so the removed entries come last).
 */
public final class SnapshotDiffer {
    private final Store store;

    public SnapshotDiffer(Store store) {
        this.store = store;
    }

    public SnapshotDiff diff(Manifest older, Manifest newer, Consumer<SnapshotDiff.Change> changes) {
        if (older.isTree() && newer.isTree()) {
            return new TreeMerge(changes).run(older.tree().get(), newer.tree().get());
        }
        // the older snapshot, as sorted fingerprints
        int n = 0;
        long[] rows = new long[4 * 1024];
        SnapshotWalker walk = SnapshotWalker.of(store, older);
        while (walk.hasNext()) {
            Manifest.Item item = walk.next();
            if (4 * n + 4 > rows.length) {
                rows = Arrays.copyOf(rows, rows.length * 2);
            }
            long[] key = pathKey(item.entry().path());
            rows[4 * n] = key[0];
            rows[4 * n + 1] = key[1];
            rows[4 * n + 2] = content(item);
            rows[4 * n + 3] = metadata(item.entry());
            n++;
        }
        long[] sorted = rows;
        sort(sorted, 0, n - 1);
        BitSet seen = new BitSet(n);
        long added = 0;
        long removed = 0;
        long changed = 0;
        long bytesAdded = 0;
        long bytesRemoved = 0;
        walk = SnapshotWalker.of(store, newer);
        while (walk.hasNext()) {
            Manifest.Item item = walk.next();
            int at = find(sorted, n, pathKey(item.entry().path()));
            if (at < 0) {
                added++;
                if (item.entry().type() == EntryType.REGULAR) {
                    bytesAdded += item.size();
                }
                changes.accept(new SnapshotDiff.Change(SnapshotDiff.Kind.ADDED, item.entry()));
                continue;
            }
            seen.set(at);
            long content = content(item);
            if (content != sorted[4 * at + 2]) {
                changed++;
                // the type is part of the content's fingerprint: tell the two apart by the older entry's type
                changes.accept(new SnapshotDiff.Change(typeOf(content) != typeOf(sorted[4 * at + 2])
                        ? SnapshotDiff.Kind.TYPE : SnapshotDiff.Kind.CONTENT, item.entry()));
            } else if (metadata(item.entry()) != sorted[4 * at + 3]) {
                changed++;
                changes.accept(new SnapshotDiff.Change(SnapshotDiff.Kind.METADATA, item.entry()));
            }
        }
        walk = SnapshotWalker.of(store, older);
        while (walk.hasNext()) {
            Manifest.Item item = walk.next();
            int at = find(sorted, n, pathKey(item.entry().path()));
            if (at >= 0 && !seen.get(at)) {
                seen.set(at);   // a path listed twice is said once
                removed++;
                if (item.entry().type() == EntryType.REGULAR) {
                    bytesRemoved += item.size();
                }
                changes.accept(new SnapshotDiff.Change(SnapshotDiff.Kind.REMOVED, item.entry()));
            }
        }
        return new SnapshotDiff(added, removed, changed, bytesAdded, bytesRemoved);
    }

    /** The comparison of two tree snapshots: a depth-first merge of their listings, by name. */
    private final class TreeMerge {
        private final Consumer<SnapshotDiff.Change> changes;
        private final Deque<Pair> stack = new ArrayDeque<>();
        private long added;
        private long removed;
        private long changed;
        private long bytesAdded;
        private long bytesRemoved;

        TreeMerge(Consumer<SnapshotDiff.Change> changes) {
            this.changes = changes;
        }

        /** A directory of either snapshot or both: the two listings, sorted by name, and how far the merge got. */
        private static final class Pair {
            final List<TreeFormat.Child> older;
            final List<TreeFormat.Child> newer;
            int i;
            int j;

            Pair(List<TreeFormat.Child> older, List<TreeFormat.Child> newer) {
                this.older = older;
                this.newer = newer;
            }
        }

        SnapshotDiff run(BlobId olderRoot, BlobId newerRoot) {
            if (!olderRoot.equals(newerRoot)) {
                stack.push(new Pair(listing(olderRoot, ""), listing(newerRoot, "")));
            }
            while (!stack.isEmpty()) {
                Pair pair = stack.peek();
                TreeFormat.Child o = next(pair.older, pair.i);
                TreeFormat.Child n = next(pair.newer, pair.j);
                if (o == null && n == null) {
                    stack.pop();
                    continue;
                }
                int c = o == null ? 1 : n == null ? -1 : o.name().compareTo(n.name());
                if (c < 0) {
                    pair.i = skip(pair.older, pair.i);
                    gone(o);
                    descend(o, null);
                } else if (c > 0) {
                    pair.j = skip(pair.newer, pair.j);
                    came(n);
                    descend(null, n);
                } else {
                    pair.i = skip(pair.older, pair.i);
                    pair.j = skip(pair.newer, pair.j);
                    compare(o, n);
                    if (!(o.isDirectory() && n.isDirectory() && o.subtree().equals(n.subtree()))) {
                        descend(o.isDirectory() ? o : null, n.isDirectory() ? n : null);
                    }
                }
            }
            return new SnapshotDiff(added, removed, changed, bytesAdded, bytesRemoved);
        }

        /** The child at {@code at}, or null past the end. */
        private TreeFormat.Child next(List<TreeFormat.Child> children, int at) {
            return at < children.size() ? children.get(at) : null;
        }

        /** The index after the child at {@code at} and any later child of the same name (a name listed twice is said once). */
        private int skip(List<TreeFormat.Child> children, int at) {
            String name = children.get(at).name();
            int k = at + 1;
            while (k < children.size() && children.get(k).name().equals(name)) {
                k++;
            }
            return k;
        }

        /** An entry of both snapshots at the same path: content, type or metadata changed, or nothing. */
        private void compare(TreeFormat.Child o, TreeFormat.Child n) {
            if (o.implicit() || n.implicit()) {
                // an implicit directory was no entry of its Source: one that became an entry was added, and the reverse
                if (o.implicit() && !n.implicit()) {
                    came(n);
                } else if (!o.implicit() && n.implicit()) {
                    gone(o);
                }
                return;
            }
            long before = content(o.item());
            long after = content(n.item());
            if (before != after) {
                changed++;
                bytesAdded += bytesNotIn(n.item(), o.item());
                bytesRemoved += bytesNotIn(o.item(), n.item());
                changes.accept(new SnapshotDiff.Change(typeOf(before) != typeOf(after)
                        ? SnapshotDiff.Kind.TYPE : SnapshotDiff.Kind.CONTENT, n.item().entry()));
            } else if (metadata(o.item().entry()) != metadata(n.item().entry())) {
                changed++;
                changes.accept(new SnapshotDiff.Change(SnapshotDiff.Kind.METADATA, n.item().entry()));
            }
        }

        /**
         * The content bytes of {@code item} that {@code other} does not have, as restic's diff counts a changed
         * file's (it said "added: 0 B" for a changed file, explorers' E-F8): the pieces (blobs) of a regular file
         * that the other entry, if a chunked regular file too, has not; all of a single object's.
         */
        private long bytesNotIn(Manifest.Item item, Manifest.Item other) {
            if (item.entry().type() != EntryType.REGULAR) {
                return 0;
            }
            if (item.object().isPresent() || other.entry().type() != EntryType.REGULAR || other.object().isPresent()) {
                return item.size();
            }
            java.util.Set<BlobId> had = new java.util.HashSet<>(other.blobs());
            long bytes = 0;
            for (BlobId id : new java.util.LinkedHashSet<>(item.blobs())) {
                if (!had.contains(id)) {
                    bytes += store.index().find(id).map(BlobLocation::plainLength).orElse(0);
                }
            }
            return bytes;
        }

        private void came(TreeFormat.Child n) {
            if (n.implicit()) {
                return;
            }
            added++;
            if (n.item().entry().type() == EntryType.REGULAR) {
                bytesAdded += n.item().size();
            }
            changes.accept(new SnapshotDiff.Change(SnapshotDiff.Kind.ADDED, n.item().entry()));
        }

        private void gone(TreeFormat.Child o) {
            if (o.implicit()) {
                return;
            }
            removed++;
            if (o.item().entry().type() == EntryType.REGULAR) {
                bytesRemoved += o.item().size();
            }
            changes.accept(new SnapshotDiff.Change(SnapshotDiff.Kind.REMOVED, o.item().entry()));
        }

        /** Goes into the directories given (either may be null: what is in the other was added or removed whole). */
        private void descend(TreeFormat.Child o, TreeFormat.Child n) {
            if ((o == null || !o.isDirectory()) && (n == null || !n.isDirectory())) {
                return;
            }
            List<TreeFormat.Child> before = o != null && o.isDirectory()
                    ? listing(o.subtree().get(), o.item().entry().path()) : List.of();
            List<TreeFormat.Child> after = n != null && n.isDirectory()
                    ? listing(n.subtree().get(), n.item().entry().path()) : List.of();
            stack.push(new Pair(before, after));
        }

        /** A directory's children sorted by name (stable: of two of the same name, the first listed is compared). */
        private List<TreeFormat.Child> listing(BlobId id, String directory) {
            List<TreeFormat.Child> listed = store.readTree(id, directory).children();
            if (sortedByName(listed)) {
                // A directory source lists names in order: a large listing stays its bytes, parsed as the merge goes,
                // instead of a copy of objects (a diff of a directory of 150,000 files needed 400 MiB; E-F6)
                return listed;
            }
            List<TreeFormat.Child> children = new ArrayList<>(listed);
            children.sort(Comparator.comparing(TreeFormat.Child::name));
            return children;
        }

        private static boolean sortedByName(List<TreeFormat.Child> children) {
            String last = null;
            for (TreeFormat.Child c : children) {
                if (last != null && last.compareTo(c.name()) > 0) {
                    return false;
                }
                last = c.name();
            }
            return true;
        }
    }

    /** Sorts rows {@code lo..hi} (4 longs each) by their key, the first two longs, unsigned (keys are hashes). */
    private static void sort(long[] rows, int lo, int hi) {
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            long p0 = rows[4 * mid];
            long p1 = rows[4 * mid + 1];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (compare(rows, i, p0, p1) < 0) {
                    i++;
                }
                while (compare(rows, j, p0, p1) > 0) {
                    j--;
                }
                if (i <= j) {
                    for (int k = 0; k < 4; k++) {
                        long t = rows[4 * i + k];
                        rows[4 * i + k] = rows[4 * j + k];
                        rows[4 * j + k] = t;
                    }
                    i++;
                    j--;
                }
            }
            // recurse into the smaller side, loop on the larger: the stack stays shallow
            if (j - lo < hi - i) {
                sort(rows, lo, j);
                lo = i;
            } else {
                sort(rows, i, hi);
                hi = j;
            }
        }
    }

    private static int compare(long[] rows, int row, long k0, long k1) {
        int c = Long.compareUnsigned(rows[4 * row], k0);
        return c != 0 ? c : Long.compareUnsigned(rows[4 * row + 1], k1);
    }

    private static int find(long[] sorted, int n, long[] key) {
        int lo = 0;
        int hi = n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = compare(sorted, mid, key[0], key[1]);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    private static long[] pathKey(String path) {
        ByteBuffer b = ByteBuffer.wrap(sha256().digest(path.getBytes(StandardCharsets.UTF_16BE)));
        return new long[] {b.getLong(), b.getLong()};
    }

    /** The content's fingerprint, its type in the lowest 3 bits. */
    private static long content(Manifest.Item item) {
        Entry e = item.entry();
        MessageDigest d = sha256();
        d.update((byte) e.type().ordinal());
        d.update(Long.toString(item.size()).getBytes(StandardCharsets.US_ASCII));
        for (var blob : item.blobs()) {
            d.update(blob.toString().getBytes(StandardCharsets.US_ASCII));
        }
        item.object().ifPresent(o -> d.update(o.getBytes(StandardCharsets.UTF_8)));
        item.sha256().ifPresent(h -> d.update(h.getBytes(StandardCharsets.US_ASCII)));
        e.linkTarget().ifPresent(t -> d.update(t.getBytes(StandardCharsets.UTF_16BE)));
        e.device().ifPresent(v -> d.update(Long.toString(v).getBytes(StandardCharsets.US_ASCII)));
        return (ByteBuffer.wrap(d.digest()).getLong() & ~7L) | e.type().ordinal();
    }

    private static int typeOf(long content) {
        return (int) (content & 7);
    }

    /** The metadata's fingerprint; access times and change tokens do not count (restic's diff ignores them too). */
    private static long metadata(Entry e) {
        StringBuilder s = new StringBuilder();
        s.append(e.mode()).append('|').append(e.uid()).append('|').append(e.gid()).append('|').append(e.owner())
                .append('|').append(e.group()).append('|').append(e.modified()).append('|').append(e.hardLinkTo());
        for (ExtendedAttribute x : e.xattrs()) {
            s.append('|').append(x.name()).append('=').append(Arrays.hashCode(x.value()));
        }
        for (Map.Entry<String, String> a : e.attributes().entrySet()) {
            s.append('|').append(a.getKey()).append('=').append(a.getValue());
        }
        return ByteBuffer.wrap(sha256().digest(s.toString().getBytes(StandardCharsets.UTF_16BE))).getLong();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
