package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How many blobs a load of the index allocates for up front. */
class IndexLoadSizingTest {

    @Test
    void a_reader_sizes_the_index_from_the_stored_bytes_and_a_writer_not_at_all() {
        long stored = 69L << 20; // the index objects of a million small files, with id parts
        assertThat(Store.expectedBlobs(stored, true)).isEqualTo((int) (stored / Store.STORED_BYTES_PER_BLOB));
        // a writer reads only ids, kept beside the builder: its arrays (48 bytes a blob) would stay empty
        assertThat(Store.expectedBlobs(stored, false)).isZero();
        assertThat(Store.expectedBlobs(Long.MAX_VALUE, true)).isEqualTo(Integer.MAX_VALUE - 16);
    }
}
