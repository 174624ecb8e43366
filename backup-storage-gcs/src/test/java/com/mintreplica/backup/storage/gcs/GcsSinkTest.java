package com.mintreplica.backup.storage.gcs;

import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.testkit.SinkContract;
import java.util.UUID;

/** The Sink conformance kit on the GCS client over its in-memory Storage helper. */
class GcsSinkTest extends SinkContract {
    @Override
    protected Sink newSink() {
        return GcsSink.builder().storage(InMemoryGcs.newStorage()).bucket("bucket-" + UUID.randomUUID())
                .prefix("repo").chunkSize(GcsSink.CHUNK_UNIT * 4).build();
    }
}
