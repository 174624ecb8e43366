package com.mintreplica.backup.core.internal;

import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.EntryType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A backup's parent listing of one directory, with only what the comparison needs: for each regular file with a change
 * token, that token, its size and its content ids; for each subdirectory, its tree id. Kept as records in byte
 * arrays, found through {@link NameHashes}: about 100 bytes a file of one chunk and 40 a directory, where a map of
 * parsed entries took about a kilobyte an entry and the listing's JSON about 360 bytes. A directory of 150,000 files
 * did not back up a second time in a 256 MiB heap.
 *
 * <p>A record: a kind byte; a file's token length (2 bytes), token (UTF-8), size (8 bytes), id count (4 bytes) and
 * ids (32 bytes each); a directory's tree id (32 bytes). Records are written to blocks of 64 KiB, never across two
 * (a record longer than a block has one of its own), and found by block and offset: one growing array had to be
 * copied to twice its size while the parent's plaintext was still held, and that copy was what ran out of memory in
 * {@code LargeDirectoryIT} on a slower machine.
 *
 * <p>Past {@link #SPOOL_FROM} bytes of records (some 30,000 files), the rest go to a temporary file
 * ({@link SpooledBytes}) and are read back through its window when the walk asks for them, which it does in the
 * listing's order: the heap then keeps the name table alone, some 40 bytes a name. Held in the heap, the records of a
 * directory of 300,000 files took some 40 MiB, and its unchanged backup did not finish in 128 MiB. Where no temporary
 * file can be made or written, the records stay in the heap.
 */
final class ParentTree implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ParentTree.class);
    private static final byte FILE = 1;
    private static final byte DIRECTORY = 2;
    private static final int ID = 32;

    private static final int BLOCK_BITS = 16;
    private static final int BLOCK = 1 << BLOCK_BITS;
    /** The name's value when the entry has no record (every name is kept, so that one given twice is found). */
    private static final int NONE = Integer.MAX_VALUE;

    /** Records past this many bytes in blocks go to a temporary file. */
    static final int SPOOL_FROM = 4 << 20;
    /** A spooled record's position: this plus its offset in the file (the blocks' positions are below it). */
    private static final int SPOOLED = 1 << 30;

    private final NameHashes names = new NameHashes();
    private final List<byte[]> blocks = new ArrayList<>();
    private byte[] block;
    private int used;
    /** The records past the blocks, or null; {@link #block} is then its write buffer, flushed at {@link #used}. */
    private SpooledBytes spool;
    private boolean spoolTried;
    /** Why writing the spool failed, or null. */
    private IOException failure;

    private ParentTree() {
    }

    /**
     * Reads the listing of {@code directory} from its tree blob's plaintext, an entry at a time.
     *
     * @throws com.mintreplica.backup.core.CorruptDataException naming the tree when it is not a valid listing
     */
    static ParentTree read(BlobId id, String directory, byte[] plaintext) {
        return read(id, directory, new java.io.ByteArrayInputStream(plaintext));
    }

    /**
     * Reads the listing of {@code directory} from a stream of its tree blob's plaintext (see Store.parseBlob): a large
     * listing is never held whole. The name table that finds a name twice is this tree's.
     */
    static ParentTree read(BlobId id, String directory, java.io.InputStream plaintext) {
        ParentTree tree = new ParentTree();
        TreeFormat.forEach(id, directory, plaintext, tree.names, (offset, child) -> tree.add(child));
        tree.trim();
        if (tree.failure != null) {
            tree.spool.close();
            throw new com.mintreplica.backup.core.BackupException("cannot write the parent listing of '" + directory
                    + "' to a temporary file in " + System.getProperty("java.io.tmpdir") + ": "
                    + tree.failure.getMessage(), tree.failure);
        }
        return tree;
    }

    /**
     * Closes the records' temporary file, if any, once the walk is done with the directory (a cleaner would, once the
     * collector finds this unreachable, but at most {@link SpooledBytes#MAX_OPEN} are open at once). Lookups of spooled
     * records fail after this.
     */
    @Override
    public void close() {
        if (spool != null) {
            spool.close();
        }
    }

    /** Whether the records past the first {@link #SPOOL_FROM} bytes are in a temporary file (for tests). */
    boolean spooled() {
        return spool != null;
    }

    /** Writes the record of {@code c}, if it has one, and returns where it starts ({@link #NONE}: none). */
    private int add(TreeFormat.Child c) {
        if (c.isDirectory()) {
            int at = start(1 + ID);
            if (at == NONE) {
                return NONE;
            }
            block[used++] = DIRECTORY;
            put(c.subtree().get().bytes());
            return at;
        }
        Manifest.Item item = c.item();
        Entry entry = item.entry();
        if (entry.type() != EntryType.REGULAR || entry.changeToken().isEmpty() || item.object().isPresent()) {
            return NONE; // never reused
        }
        byte[] token = entry.changeToken().get().getBytes(StandardCharsets.UTF_8);
        if (token.length > 0xffff) {
            return NONE;
        }
        List<BlobId> blobs = item.blobs();
        int at = start(1 + 2 + token.length + 8 + 4 + ID * blobs.size());
        if (at == NONE) {
            return NONE;
        }
        block[used++] = FILE;
        block[used++] = (byte) (token.length >>> 8);
        block[used++] = (byte) token.length;
        put(token);
        putLong(item.size());
        putLong(blobs.size(), 4);
        for (BlobId b : blobs) {
            put(b.bytes());
        }
        return at;
    }

    /**
     * The parent's content of the regular file {@code name} when its change token is {@code entry}'s: an item of
     * {@code entry} with the parent's size and content ids. Null when the parent has no such file or it changed.
     */
    Manifest.Item file(String name, Entry entry) {
        int position = names.get(name);
        if (position < 0 || position == NONE || entry.changeToken().isEmpty()) {
            return null;
        }
        byte[] records;
        int at;
        if (position >= SPOOLED) {
            // the kind and the token's length, then the token, size and count, then the ids: read as far as needed
            long offset = position - SPOOLED;
            byte[] head = readSpooled(offset, 3);
            if (head[0] != FILE) {
                return null;
            }
            int length = (head[1] & 0xff) << 8 | (head[2] & 0xff);
            byte[] fixed = readSpooled(offset, 3 + length + 12);
            int count = (int) getLong(fixed, 3 + length + 8, 4);
            records = count == 0 ? fixed : readSpooled(offset, 3 + length + 12 + ID * count);
            at = 0;
        } else {
            records = blocks.get(position >>> BLOCK_BITS);
            at = position & (BLOCK - 1);
        }
        if (records[at] != FILE) {
            return null;
        }
        byte[] token = entry.changeToken().get().getBytes(StandardCharsets.UTF_8);
        int length = (records[at + 1] & 0xff) << 8 | (records[at + 2] & 0xff);
        int from = at + 3;
        if (length != token.length || !Arrays.equals(records, from, from + length, token, 0, length)) {
            return null;
        }
        int p = from + length;
        long size = getLong(records, p, 8);
        int count = (int) getLong(records, p + 8, 4);
        p += 12;
        List<BlobId> blobs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            blobs.add(BlobId.wrap(Arrays.copyOfRange(records, p, p + ID)));
            p += ID;
        }
        return Manifest.Item.chunked(entry, size, blobs);
    }

    /** The tree id of the subdirectory {@code name}, or null. */
    BlobId directory(String name) {
        int position = names.get(name);
        if (position < 0 || position == NONE) {
            return null;
        }
        byte[] records;
        int at;
        if (position >= SPOOLED) {
            records = readSpooled(position - SPOOLED, 1);
            if (records[0] != DIRECTORY) {
                return null;
            }
            records = readSpooled(position - SPOOLED, 1 + ID);
            at = 0;
        } else {
            records = blocks.get(position >>> BLOCK_BITS);
            at = position & (BLOCK - 1);
        }
        if (records[at] != DIRECTORY) {
            return null;
        }
        return BlobId.wrap(Arrays.copyOfRange(records, at + 1, at + 1 + ID));
    }

    /** Bytes held in the heap (for tests): the records' blocks, the spool's buffers and the name table's arrays. */
    long bytes() {
        long held = names.bytes();
        for (byte[] b : blocks) {
            held += b.length;
        }
        return held + (spool == null ? 0 : 3 * BLOCK / 2);
    }

    /**
     * Makes room for a record of {@code length} bytes in the current block, or starts a block, and returns where the
     * record begins: its block's index times {@value #BLOCK} plus its offset there; or, once records are spooled,
     * {@link #SPOOLED} plus its offset in the file. {@link #NONE} when there is no room for it anywhere.
     */
    private int start(int length) {
        if (spool == null && !spoolTried && (long) blocks.size() * BLOCK >= SPOOL_FROM) {
            spoolTried = true;
            startSpool();
        }
        if (spool != null) {
            if (failure != null || spool.length() + used + length >= NONE - SPOOLED) {
                return NONE; // a gigabyte of records: the rest are read again, never wrong
            }
            if (used + length > block.length) {
                flushSpool();
                if (failure != null) {
                    return NONE;
                }
                if (length > block.length) {
                    block = new byte[length];
                }
            }
            return SPOOLED + (int) (spool.length() + used);
        }
        if (block == null || used + length > block.length) {
            if (blocks.size() >= SPOOLED >>> BLOCK_BITS) {
                return NONE;
            }
            block = new byte[Math.max(BLOCK, length)];
            blocks.add(block);
            used = 0;
        }
        return (blocks.size() - 1) << BLOCK_BITS | used;
    }

    /**
     * Opens the temporary file the next records go to, keeping the blocks written so far; with none to be had, the
     * records stay in blocks.
     */
    private void startSpool() {
        SpooledBytes opened;
        try {
            opened = SpooledBytes.create();
        } catch (IOException e) {
            LOG.debug("the parent listing's records stay in the heap: {}", e.toString());
            return;
        }
        trim();
        spool = opened;
        block = new byte[BLOCK];
        used = 0;
    }

    /** Appends the buffered records to the spool; a failure is kept for {@link #read} to report. */
    private void flushSpool() {
        try {
            spool.write(block, 0, used);
            used = 0;
        } catch (IOException e) {
            failure = e;
        }
    }

    /** Gives back the unused end of the current block. */
    private void trim() {
        if (spool != null) {
            flushSpool();
            if (failure == null) {
                try {
                    spool.finish();
                } catch (IOException e) {
                    failure = e;
                }
            }
            block = null;
            return;
        }
        if (block != null && used < block.length) {
            block = Arrays.copyOf(block, used);
            blocks.set(blocks.size() - 1, block);
        }
    }

    private void put(byte[] b) {
        System.arraycopy(b, 0, block, used, b.length);
        used += b.length;
    }

    private void putLong(long v) {
        putLong(v, 8);
    }

    private void putLong(long v, int bytes) {
        for (int i = bytes - 1; i >= 0; i--) {
            block[used++] = (byte) (v >>> (8 * i));
        }
    }

    /** Bytes of a spooled record; a failure to read the file back is the run's, not the parent's damage. */
    private byte[] readSpooled(long offset, int count) {
        try {
            return spool.read(offset, count);
        } catch (IOException e) {
            throw new com.mintreplica.backup.core.BackupException("cannot read the parent listing's temporary file in "
                    + System.getProperty("java.io.tmpdir") + ": " + e.getMessage(), e);
        }
    }

    private static long getLong(byte[] records, int at, int bytes) {
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v = v << 8 | (records[at + i] & 0xff);
        }
        return v;
    }
}
