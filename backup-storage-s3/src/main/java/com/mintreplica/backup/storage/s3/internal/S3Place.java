package com.mintreplica.backup.storage.s3.internal;

import com.mintreplica.backup.core.sink.ObjectNames;
import java.io.IOException;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Where a Sink's objects live: the client, the bucket and the key prefix, how object names become keys, and how the
 * Sink describes itself in messages. Shared by the parts of the S3 Sink; a point-in-time view shares its base's.
 *
 * @param describe the Sink's description at the time of a message (a view adds "as of ...")
 * @param atomicCreate whether the Sink was built with conditional writes (for the 501 hint)
 */
public record S3Place(S3Client s3, String bucket, String prefix, Supplier<String> describe, boolean atomicCreate) {

    /** The key of object {@code name}. */
    public String key(String name) {
        return prefix + ObjectNames.check(name, false);
    }

    /** The key prefix of a name prefix. */
    public String keyPrefix(String namePrefix) {
        return prefix + ObjectNames.check(namePrefix, true);
    }

    /** The object name of a key under the prefix. */
    public String nameOf(String key) {
        return key.substring(prefix.length());
    }

    public String where() {
        return describe.get();
    }

    public IOException io(String action, String name, SdkException e) {
        return S3Errors.io(action, name, where(), atomicCreate, e);
    }
}
