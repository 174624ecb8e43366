/** Implementation details of the S3 Sink; not API. */
package com.mintreplica.backup.storage.s3.internal;
