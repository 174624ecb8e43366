package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.sink.Sink;

/** A ForwardingSink that overrides nothing is the Sink it wraps: it passes the whole Sink contract. */
class ForwardingSinkTest extends SinkContract {
    @Override
    protected Sink newSink() {
        return new ForwardingSink(new InMemorySink()) {
        };
    }
}
