/**
 * The Sink SPI: the object stores repositories live on, with their declared
 * {@link com.mintreplica.backup.core.sink.SinkCapability capabilities}, the local-directory Sink, and the lookup of
 * Sinks by URI ({@link com.mintreplica.backup.core.sink.Sinks}). Conformance kit: {@code SinkContract} in
 * backup-testkit.
 */
package com.mintreplica.backup.core.sink;
