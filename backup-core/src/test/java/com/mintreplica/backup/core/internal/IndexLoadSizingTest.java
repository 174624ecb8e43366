package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How many blobs a load of the index allocates for up front. */
class IndexLoadSizingTest {

    @Test
    void a_reader_sizes_the_index_from_the_stored_bytes_and_a_writer_not_at_all() {
        long stored = 37L << 20; // the index objects of a million small files (about 37 bytes a blob)
        assertThat(Store.expectedBlobs(stored, true, false)).isEqualTo((int) (stored / Store.STORED_BYTES_PER_BLOB));
        // a writer reads only ids, kept beside the builder: its arrays (48 bytes a blob) would stay empty
        assertThat(Store.expectedBlobs(stored, false, false)).isZero();
        assertThat(Store.expectedBlobs(Long.MAX_VALUE, true, false)).isEqualTo(Integer.MAX_VALUE - 16);
    }

    @Test
    void index_objects_with_id_parts_are_sized_by_what_a_blob_takes_in_them() {
        // a million blobs of a repository with writers: 73.9 MB of index objects (bench/gen_many.py's tree); sized at
        // 36 bytes a blob that was two million blobs of arrays
        long stored = 73_870_068L;
        assertThat(Store.expectedBlobs(stored, true, true)).isBetween(1_000_000, 1_100_000);
        assertThat(Store.expectedBlobs(stored, false, true)).isZero();
    }
}
