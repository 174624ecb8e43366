/**
 * How the MongoDB source, target and verifier do their work: connections and redaction, dump paths, metadata,
 * streaming BSON. Not API: anything here may change in any release.
 */
package com.mintreplica.backup.mongo.internal;
