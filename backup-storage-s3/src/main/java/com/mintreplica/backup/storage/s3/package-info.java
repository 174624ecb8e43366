/**
 * A {@link com.mintreplica.backup.core.sink.Sink} on Amazon S3 and S3-compatible object stores (AWS SDK v2):
 * {@link com.mintreplica.backup.storage.s3.S3Sink}, built with {@code S3Sink.builder()}, or opened from
 * {@code s3://bucket/prefix?region=..} URIs by {@link com.mintreplica.backup.storage.s3.S3SinkProvider}. Helpers for
 * versioning, lifecycle rules and Object Lock are on the Sink.
 */
package com.mintreplica.backup.storage.s3;
