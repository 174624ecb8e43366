/**
 * The hook through which a module (backup-crypto) encrypts a repository at rest: {@link
 * com.mintreplica.backup.core.encryption.RepositoryEncryption} creates a new repository's keys and unlocks an existing
 * one; the core then seals every stored object with the {@link com.mintreplica.backup.core.encryption.RepositoryKeys}
 * it gets back and names blobs with a keyed hash.
 */
package com.mintreplica.backup.core.encryption;
