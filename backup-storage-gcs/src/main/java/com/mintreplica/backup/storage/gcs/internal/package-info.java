/** Implementation details of the GCS Sink; not API. */
package com.mintreplica.backup.storage.gcs.internal;
