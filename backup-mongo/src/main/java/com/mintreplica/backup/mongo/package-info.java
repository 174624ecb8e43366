/**
 * MongoDB backups through mongodb-driver-sync, in mongodump's layout: {@link com.mintreplica.backup.mongo.MongoSource}
 * reads collections as raw BSON with their metadata, {@link com.mintreplica.backup.mongo.MongoTarget} restores them
 * into the same or another database, {@link com.mintreplica.backup.mongo.MongoVerifier} checks a snapshot without a
 * server, and {@link com.mintreplica.backup.mongo.MongoSourceProvider} opens them from {@code mongodb://} URIs.
 */
package com.mintreplica.backup.mongo;
