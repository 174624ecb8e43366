package com.mintreplica.backup.storage.s3.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;

/**
 * Streams content of unknown length as numbered parts: takes a permit, reads one part into memory and hands it to
 * an upload task, which gives the permit back when the part is stored. A permit stands for one part buffer, being
 * filled or uploading, and the permits are shared by all uploads of one Sink: its part buffers never hold more than
 * {@code permits x partSize} bytes, whatever the objects' sizes and however many are uploaded at once. On any failure
 * the parts still running are waited for and the caller aborts the upload.
 *
 * @param <P> what the store returns for an uploaded part (its ETag and number)
 */
public final class MultipartWriter<P> {
    /** S3 accepts at most this many parts in one upload. */
    public static final int MAX_PARTS = 10_000;

    /** Uploads one part. */
    public interface PartUploader<P> {
        P upload(int partNumber, byte[] data) throws IOException;
    }

    private final Executor executor;
    private final Semaphore inFlight;
    private final int partSize;

    public MultipartWriter(Executor executor, Semaphore inFlight, int partSize) {
        this.executor = executor;
        this.inFlight = inFlight;
        this.partSize = partSize;
    }

    /**
     * Uploads {@code first} (a full part already read, for which the caller holds a permit that this call takes over)
     * and then the rest of {@code in}, part by part.
     *
     * @param remaining the bytes {@code in} still holds, or -1 when unknown
     * @return the uploaded parts in order
     */
    public List<P> write(byte[] first, InputStream in, long remaining, PartUploader<P> uploader) throws IOException {
        List<CompletableFuture<P>> parts = new ArrayList<>();
        boolean holdingPermit = true;
        long left = remaining;
        try {
            byte[] data = first;
            int partNumber = 1;
            while (true) {
                if (partNumber > MAX_PARTS) {
                    throw new IOException("the object is larger than " + MAX_PARTS + " parts of " + partSize
                            + " bytes: raise the part size");
                }
                byte[] body = data;
                int number = partNumber++;
                CompletableFuture<P> part;
                try {
                    part = CompletableFuture.supplyAsync(() -> {
                        try {
                            return uploader.upload(number, body);
                        } catch (IOException e) {
                            throw new CompletionException(e);
                        } finally {
                            inFlight.release();
                        }
                    }, executor);
                } catch (RuntimeException rejected) {
                    inFlight.release();
                    holdingPermit = false;
                    throw rejected;
                }
                holdingPermit = false;   // the task gives it back
                parts.add(part);
                failFast(parts);
                acquire();
                holdingPermit = true;
                data = PartBuffers.readUpTo(in, partSize, left);
                if (left >= 0) {
                    left = Math.max(0, left - data.length);
                }
                if (data.length == 0) {
                    inFlight.release();
                    holdingPermit = false;
                    break;
                }
            }
            List<P> out = new ArrayList<>(parts.size());
            for (CompletableFuture<P> p : parts) {
                out.add(await(p));
            }
            return out;
        } catch (IOException | RuntimeException | Error e) {
            if (holdingPermit) {
                inFlight.release();
            }
            // Not cancelled: a task that never runs would never give its permit back. At most the permits' worth of
            // parts are queued or running, so waiting for them is short.
            for (CompletableFuture<P> p : parts) {
                try {
                    p.join();
                } catch (RuntimeException ignored) {
                    // the failure being thrown is the one that matters
                }
            }
            throw e;
        }
    }

    private void acquire() throws InterruptedIOException {
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to upload a part");
        }
    }

    private static <P> void failFast(List<CompletableFuture<P>> parts) throws IOException {
        for (CompletableFuture<P> p : parts) {
            if (p.isCompletedExceptionally()) {
                await(p);
            }
        }
    }

    private static <P> P await(CompletableFuture<P> part) throws IOException {
        try {
            return part.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading parts");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(cause);
        }
    }
}
