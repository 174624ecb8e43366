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
 * Streams content of unknown length as numbered parts: reads one part at a time into memory and hands it to an
 * upload task; at most as many parts as {@code inFlight} has permits are uploading at once (shared by all uploads of
 * one Sink), so memory stays at about {@code (permits + concurrent uploads) x partSize} whatever the object's size.
 * On any failure the parts still running are waited for and the caller aborts the upload.
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
     * Uploads {@code first} (a full part already read) and then the rest of {@code in}, part by part.
     *
     * @return the uploaded parts in order
     */
    public List<P> write(byte[] first, InputStream in, PartUploader<P> uploader) throws IOException {
        List<CompletableFuture<P>> parts = new ArrayList<>();
        try {
            byte[] data = first;
            int partNumber = 1;
            while (data.length > 0) {
                if (partNumber > MAX_PARTS) {
                    throw new IOException("the object is larger than " + MAX_PARTS + " parts of " + partSize
                            + " bytes: raise the part size");
                }
                failFast(parts);
                acquire();
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
                    throw rejected;
                }
                parts.add(part);
                data = PartBuffers.readUpTo(in, partSize);
            }
            List<P> out = new ArrayList<>(parts.size());
            for (CompletableFuture<P> p : parts) {
                out.add(await(p));
            }
            return out;
        } catch (IOException | RuntimeException | Error e) {
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
