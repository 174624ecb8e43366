/**
 * A Sink on Google Cloud Storage (google-cloud-storage).
 *
 * <p>Not implemented yet: this module holds no classes until its issue (off-site storage) lands.
 */
package com.mintreplica.backup.storage.gcs;
