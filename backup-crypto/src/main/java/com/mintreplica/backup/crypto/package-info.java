/**
 * Encryption at rest with OpenPGP keys (Bouncy Castle), GnuPG-compatible, with key rotation.
 *
 * <p>Entry points: {@link com.mintreplica.backup.crypto.OpenPgpKeys} reads keys and passphrases,
 * {@link com.mintreplica.backup.crypto.OpenPgpEncryption} creates and unlocks encrypted repositories (the core's
 * {@code RepositoryEncryption} hook), {@link com.mintreplica.backup.crypto.KeyManager} adds and removes recipients
 * and starts new data keys, {@link com.mintreplica.backup.crypto.OpenPgpTransformer} is plain OpenPGP as a
 * transformer. Details live in {@code ...crypto.internal}, which is not API.
 */
package com.mintreplica.backup.crypto;
