package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.sink.Sink;

class InMemorySinkTest extends SinkContract {
    @Override
    protected Sink newSink() {
        return new InMemorySink();
    }
}
