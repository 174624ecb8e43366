/**
 * MongoDB backups through mongodb-driver-sync, in mongodump's on-disk format.
 *
 * <p>Not implemented yet: this module holds no classes until its issue (MongoDB backups) lands.
 */
package com.mintreplica.backup.mongo;
