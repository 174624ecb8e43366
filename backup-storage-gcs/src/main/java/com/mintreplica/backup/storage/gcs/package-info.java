/**
 * A {@link com.mintreplica.backup.core.sink.Sink} on Google Cloud Storage:
 * {@link com.mintreplica.backup.storage.gcs.GcsSink}, built with {@code GcsSink.builder()}, or opened from
 * {@code gs://bucket/prefix} URIs by {@link com.mintreplica.backup.storage.gcs.GcsSinkProvider}.
 */
package com.mintreplica.backup.storage.gcs;
