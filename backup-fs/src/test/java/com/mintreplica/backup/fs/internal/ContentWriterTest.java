package com.mintreplica.backup.fs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long blob reaches the file channel in writes of at most {@link ContentWriter#MAX_WRITE} bytes: the JDK writes a heap
 * array through a temporary direct buffer of the write's size, cached by the thread, and each longer write allocated,
 * zeroed and faulted in a new one (a restore's writers wrote blobs of varying length up to 8 MiB and more).
 */
class ContentWriterTest {
    @TempDir
    Path dir;

    @Test
    void a_long_blob_is_written_whole_in_writes_of_at_most_a_mebibyte() throws IOException {
        byte[] blob = new byte[9 << 20];
        new Random(5).nextBytes(blob);
        Path file = dir.resolve("restored");
        long end;
        long largest;
        try (FileChannel real = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            Recording channel = new Recording(real);
            end = ContentWriter.writeAt(channel, 4096, blob, 7, blob.length - 7, false);
            largest = channel.largest;
        }
        assertThat(end).isEqualTo(4096 + blob.length - 7);
        byte[] written = Files.readAllBytes(file);
        assertThat(Arrays.copyOfRange(written, 4096, written.length)).isEqualTo(Arrays.copyOfRange(blob, 7, blob.length));
        assertThat(largest).as("the longest single write").isEqualTo(ContentWriter.MAX_WRITE);
    }

    @Test
    void sparse_runs_longer_than_a_write_are_written_whole_and_zeros_stay_holes() throws IOException {
        byte[] blob = new byte[6 << 20];
        Random random = new Random(6);
        byte[] data = new byte[(3 << 20) + 100];
        random.nextBytes(data);
        System.arraycopy(data, 0, blob, 0, data.length); // 3 MiB of data, then zeros to the end
        Path file = dir.resolve("sparse");
        try (FileChannel real = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            Recording channel = new Recording(real);
            ContentWriter writer = new ContentWriter(channel, true);
            writer.write(blob, 0, blob.length);
            writer.finish();
            assertThat(channel.largest).isEqualTo(ContentWriter.MAX_WRITE);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(blob);
    }

    /** A real file channel that records the longest positional write it was handed. */
    private static final class Recording extends FileChannel {
        private final FileChannel real;
        long largest;

        Recording(FileChannel real) {
            this.real = real;
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            largest = Math.max(largest, src.remaining());
            return real.write(src, position);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            largest = Math.max(largest, src.remaining());
            return real.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            throw new UnsupportedOperationException("not used by ContentWriter");
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return real.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return real.read(dsts, offset, length);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return real.read(dst, position);
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            real.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            real.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return real.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return real.transferFrom(src, position, count);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return real.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return real.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return real.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }
    }
}
