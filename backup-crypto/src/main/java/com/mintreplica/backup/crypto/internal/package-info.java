/** Implementation details of backup-crypto (formats, Bouncy Castle helpers); not API. */
package com.mintreplica.backup.crypto.internal;
