/**
 * A Sink on Amazon S3 and S3-compatible object stores (AWS SDK v2).
 *
 * <p>Not implemented yet: this module holds no classes until its issue (off-site storage) lands.
 */
package com.mintreplica.backup.storage.s3;
