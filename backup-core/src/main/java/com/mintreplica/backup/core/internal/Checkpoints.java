package com.mintreplica.backup.core.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The index objects of one backup, written while it runs (checkpoints) and not only at its end, so that the packs a
 * run that dies has finished are indexed, and the next backup deduplicates against them instead of uploading their
 * blobs again (kopia checkpoints in the same way; a 100 GiB first backup killed at 90% does not upload 90 GiB again).
 *
 * <p>A checkpoint is written once the packs stored since the last one reach {@value #MIN_PACKS} or a sixteenth of
 * the packs the run has stored (so a big backup writes a few hundred index objects at most, not one per few packs,
 * while what a killed run leaves unindexed stays within a sixteenth of its work), or {@link #EVERY_NANOS} after the
 * last one. The packs after the last checkpoint are what a run that dies or fails loses: nothing lists them, and prune
 * collects them after its grace period, as before. A failed run does not delete them: another backup running beside
 * it may have stored a pack of the very same bytes under the same name (packs are named by their header's hash) and
 * indexed it; only prune, alone under the exclusive lease, may delete packs.
 *
 * <p>Why this is safe with prune (docs/prune.md): a checkpoint index object is an index object like any other, written
 * under the run's shared lease. Prune, which holds the exclusive lease, never runs beside a live backup; it sees the
 * packs of a dead run as indexed packs that no snapshot uses and deletes them (and drops them from the consolidated
 * index) like any unused data. A backup that deduplicates against them took its lease before it read the index, so no
 * prune can delete them under it. A backup deletes nothing (append-only credentials keep working).
 *
 * <p>A copy indexes the packs it stores in the same way ({@link CopyRun}), for the same reason.
 *
 * <p>Thread-safe: workers report stored packs concurrently; a checkpoint is written while the others wait.
 */
final class Checkpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
    /** The fewest packs a checkpoint indexes (as copy writes an index every 4 packs). */
    static final int MIN_PACKS = 4;
    /** A checkpoint indexes at least this share (1/N) of the packs the run has stored. */
    static final int SHARE = 16;
    /** A checkpoint is written at least this often while packs are stored: 5 minutes. */
    static final long EVERY_NANOS = 5L * 60 * 1_000_000_000;
    /**
     * A checkpoint is written once this many blobs wait for one, whatever the share, so that what waits (44 bytes a
     * blob in an {@link IndexFile.Writer}) stays bounded in a run of millions of small files: the size prune cuts its
     * index objects at, which `verify` reads in 64 MiB. It was 65,536: encoding an object that large (its plaintext,
     * id part, compressed, encrypted and sealed copies) was where a copy of 100,000 small files ran out of 48 MiB.
     */
    static final int MAX_BLOBS = PruneRun.BLOBS_PER_INDEX_OBJECT;

    private final Store store;
    /** The packs stored since the last checkpoint, as the next index object's plaintext (format MBI3, typed packs). */
    private IndexFile.Writer unindexed = new IndexFile.Writer();
    private long packsStored;
    private long lastWrite = System.nanoTime();

    Checkpoints(Store store) {
        this.store = store;
    }

    /**
     * A pack of this run (data or tree) is stored; writes a checkpoint when it is time.
     *
     * @return the bytes of index written (0 when no checkpoint was written)
     */
    synchronized long packStored(PackWriter.Pack pack) {
        unindexed.pack(pack.id().bytes(), pack.type(), pack.blobs().size());
        for (Packs.PackedBlob b : pack.blobs()) {
            unindexed.blob(b.id().bytes(), b.location().offset(), b.location().length(), b.location().plainLength());
        }
        packsStored++;
        if (unindexed.packs() < Math.max(MIN_PACKS, packsStored / SHARE) && unindexed.blobs() < MAX_BLOBS
                && System.nanoTime() - lastWrite < EVERY_NANOS) {
            return 0;
        }
        return write();
    }

    /** Indexes the packs since the last checkpoint: the run's last index object. Returns the bytes written. */
    synchronized long finish() {
        return unindexed.packs() == 0 ? 0 : write();
    }

    /** The pending plaintext; the writer (and its buffer, up to twice that) is let go before the plaintext is encoded. */
    private byte[] takePlaintext() {
        byte[] plain = unindexed.finish();
        unindexed = new IndexFile.Writer();
        return plain;
    }

    /**
     * Not added to the loaded index: the run's own claimed-id set already knows these blobs, and the loaded index then
     * holds only what it read, in one compact run.
     */
    private long write() {
        int packs = unindexed.packs();
        long size = store.writeIndex(takePlaintext());
        LOG.debug("checkpoint: indexed {} pack(s) in {}", packs, store.location());
        lastWrite = System.nanoTime();
        return size;
    }
}
