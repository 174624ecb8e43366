package com.mintreplica.backup.core.internal;

import java.io.IOException;
import java.util.Optional;

/**
 * The pack being filled and the memory budget of encoded blobs waiting to be stored, under one lock, so that a worker
 * never waits on budget that only the open pack itself holds.
 *
 * <p><b>Why this cannot deadlock.</b> Every byte of this budget (each blob costs its encoded length plus
 * {@link ByteBudget#ITEM_OVERHEAD}) is held either by the <em>open pack</em> (blobs added, pack not full yet) or by a
 * <em>pack being uploaded</em> (finished and handed to one worker, which gives it back in {@link #uploaded} when its
 * {@code Sink.put} returns, whether it succeeded or not). A blob is admitted when it fits beside what is held, or
 * when nothing is held at all (so a blob larger than the whole budget goes alone). When it does not fit,
 * {@link #tryAdd} decides without waiting:
 * <ul>
 *   <li>if the open pack holds budget and the uploads under way could not make room beside it (no upload is under
 *       way, or the open pack and this blob together exceed the budget), the worker closes the open pack (short of the
 *       target size) and uploads it itself: the open pack is never waited on;</li>
 *   <li>otherwise uploads are under way and their end makes room: the worker waits ({@link #awaitChange}) until an
 *       upload ends or the open pack changes, then decides again.</li>
 * </ul>
 * An upload never waits on this budget. So a waiting worker waits only for uploads that are already running; when
 * they have all returned, its blob either fits or the open pack alone is in the way and it closes that. Whatever the
 * blob sizes, compressibility, budget, pack size and number of workers, the backup moves on as long as the Sink's
 * calls return; a Sink call that never returns is the stall watchdog's business ({@link Watchdog}).
 *
 * <p>Memory: at most the budget (or one blob, when a single blob is larger) sits in packs, open or being uploaded. A
 * pack is cut short only when the budget is exhausted, i.e. when uploads lag behind or the budget is smaller than a
 * pack.
 */
final class PackBudget {
    private final PackWriter writer;
    private final long capacity;
    private long open;
    private int openBlobs;
    private long uploading;
    private int uploads;
    private long version;

    PackBudget(PackWriter writer, long capacity) {
        this.writer = writer;
        this.capacity = Math.max(1, capacity);
    }

    /**
     * What {@link #tryAdd} asks of the caller: upload {@code upload} if present (then call {@link #uploaded}); when
     * {@code added} is false the blob is not in a pack yet: after the upload, or after {@link #awaitChange} with
     * {@code version} when there is nothing to upload, try again.
     */
    record Step(boolean added, Optional<PackWriter.Pack> upload, long version) {
    }

    /** Adds the blob if it fits; never waits. See the class comment. */
    synchronized Step tryAdd(BlobId id, byte[] encoded, int plainLength) throws IOException {
        long cost = ByteBudget.cost(encoded.length);
        long held = open + uploading;
        if (held == 0 || held + cost <= capacity) {
            Optional<PackWriter.Pack> full = writer.add(id, encoded, plainLength);
            open += cost;
            openBlobs++;
            changed();
            return new Step(true, full.map(this::startUpload), version);
        }
        if (open > 0 && (uploads == 0 || open + cost > capacity)) {
            return new Step(false, writer.flush().map(this::startUpload), version);
        }
        return new Step(false, Optional.empty(), version);
    }

    /** Waits until an upload ended or the open pack changed since {@code seen} (a {@link Step#version}). */
    synchronized void awaitChange(long seen) throws InterruptedException {
        while (version == seen) {
            wait();
        }
    }

    /** After the last blob: the open pack, if it holds any blob, to upload. */
    synchronized Optional<PackWriter.Pack> flush() throws IOException {
        return open > 0 ? writer.flush().map(this::startUpload) : Optional.empty();
    }

    /** Gives back the budget of a pack from {@link #tryAdd} or {@link #flush} once its upload returned. */
    synchronized void uploaded(PackWriter.Pack pack) {
        long cost = 0;
        for (Packs.PackedBlob b : pack.blobs()) {
            cost += ByteBudget.cost(b.location().length());
        }
        uploading -= cost;
        uploads--;
        changed();
    }

    private PackWriter.Pack startUpload(PackWriter.Pack pack) {
        uploading += open;
        uploads++;
        open = 0;
        openBlobs = 0;
        changed();
        return pack;
    }

    private void changed() {
        version++;
        notifyAll();
    }

    /** For a stall diagnostic. */
    synchronized String describe() {
        return (open + uploading) + " of " + capacity + " bytes held: " + open + " by the open pack (" + openBlobs
                + " blobs), " + uploading + " by " + uploads + " pack" + (uploads == 1 ? "" : "s") + " being uploaded";
    }
}
