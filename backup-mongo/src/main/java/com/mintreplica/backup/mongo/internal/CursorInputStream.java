package com.mintreplica.backup.mongo.internal;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCursor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.bson.RawBsonDocument;

/**
 * The documents of a cursor as one stream of concatenated BSON, the bytes exactly as the server sent them: each
 * {@link RawBsonDocument} is copied out as it is, never decoded and encoded again. Memory holds the driver's current
 * batch only. When the cursor is exhausted, {@code onEnd} receives the number of documents; closing the stream closes
 * the cursor.
 */
public final class CursorInputStream extends InputStream {
    private final MongoCursor<RawBsonDocument> cursor;
    private final LongConsumer onEnd;
    private final Function<MongoException, IOException> failure;
    private ByteBuffer current;
    private long documents;
    private boolean ended;
    private boolean closed;

    public CursorInputStream(MongoCursor<RawBsonDocument> cursor, LongConsumer onEnd,
                             Function<MongoException, IOException> failure) {
        this.cursor = cursor;
        this.onEnd = onEnd;
        this.failure = failure;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, current.remaining());
        current.get(b, off, n);
        return n;
    }

    private boolean fill() throws IOException {
        while (current == null || !current.hasRemaining()) {
            if (ended) {
                return false;
            }
            try {
                if (!cursor.hasNext()) {
                    ended = true;
                    onEnd.accept(documents);
                    return false;
                }
                current = cursor.next().getByteBuffer().asNIO();
                documents++;
            } catch (MongoException e) {
                throw failure.apply(e);
            }
        }
        return true;
    }

    /** Documents handed out so far. */
    public long documents() {
        return documents;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cursor.close();
        }
    }
}
